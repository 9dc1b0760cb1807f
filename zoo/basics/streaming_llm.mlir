// StreamingLLM: attention sinks plus a recent window, causal.
//
// Paper: "Efficient Streaming Language Models with Attention Sinks", Xiao,
//   Tian, Chen, Han and Lewis, ICLR 2024.
// Formula:
//   keep(i, j) = j <= i and (j < S or i - R < j), i.e. every query sees the
//   first S tokens (the attention sinks, which absorb the surplus attention
//   mass of softmax) and the R most recent tokens, itself included; then
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the kept keys.
// Parameters:
//   S = 4 sink tokens: the paper finds four initial tokens sufficient and
//     uses 4 throughout.
//   R = 2000 recent tokens: the authors' code default (start_size = 4,
//     recent_size = 2000 in the streaming example) [verify]; the paper's
//     tables also use caches such as 4 + 1020.
//   scale = 1/sqrt(d), the dialect's default.
// Choices:
//   - Recent window of R tokens including the query:
//     #attn.window<left = R - 1, right = 0>.
//   - #attn.sinks is not causal on its own (a query i < S would see later
//     sinks), hence the outer #attn.and with #attn.causal.
//   - StreamingLLM assigns positional encodings by position *within the
//     cache*, not in the original text. RoPE is applied to q and k outside the
//     op, so this spec gives the attention pattern; the cache-relative
//     positions and the eviction of the middle tokens belong to the KV-cache
//     specs (zoo/decode/, wave 3).
//   - Shapes dynamic; f32.
func.func @streaming_llm(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal,
                       #attn.or<[#attn.sinks<4>,
                                 #attn.window<left = 1999, right = 0>]>]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
