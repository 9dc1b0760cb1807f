// DuoAttention: retrieval heads (full causal) and streaming heads (sinks +
// recent window). ZOO.md: H13 `duo_attention`.
//
// Paper: "DuoAttention: Efficient Long-Context LLM Inference with Retrieval
//   and Streaming Heads", Xiao et al., 2024.
// Formula: each (KV) head is either a retrieval head, with full causal
//   attention and a full KV cache, or a streaming head that only sees the
//   attention sinks and the recent tokens (constant-length KV cache):
//     keep(h, i, j) = j <= i and (retrieval[h] or j < n_sink or i - j < n_recent)
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the kept keys.
//   The head kinds come from a lightweight optimisation: a gate alpha_h per
//   KV head mixes the full and streaming outputs during a distillation on
//   synthetic data, then is thresholded [verify: ZOO.md's reading].
// Parameters: n_sink = 64, n_recent = 256 [verify: the paper's default
//   streaming configuration]; retrieval[h] in {0, 1} per query head: the
//   caller expands its per-KV-head decision to the query heads of each GQA
//   group (the random test draws flags per head); scale 1/sqrt(d).
// Choices:
//   - The flags are an operand so one kernel serves every layer (each layer
//     has its own pattern); with a fixed assignment the same mask is an
//     #attn.per_head attribute (classified exactly per head, see the
//     dialect's per_head example), at the cost of a static head count.
//   - The ragged per-head KV cache (streaming heads keep n_sink + n_recent
//     entries) is wave 3; prefill computes exactly this mask.
func.func @duo_attention(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32>,
                         %retrieval: tensor<?xi32> {attn.dims = ["Hq"], attn.range = [0, 1]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%retrieval : tensor<?xi32>)
       mask(#attn.causal)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index, %r: tensor<?xi32>):
         %sink = arith.constant 64 : index
         %recent = arith.constant 256 : index
         %zero = arith.constant 0 : i32
         %flag = tensor.extract %r[%h] : tensor<?xi32>
         %full = arith.cmpi ne, %flag, %zero : i32
         %is_sink = arith.cmpi ult, %j, %sink : index
         %d = arith.subi %i, %j : index
         %near = arith.cmpi slt, %d, %recent : index
         %stream = arith.ori %is_sink, %near : i1
         %keep = arith.ori %full, %stream : i1
         attn.yield %keep : i1
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
