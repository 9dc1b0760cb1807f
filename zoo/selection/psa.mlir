// PSA (ZOO.md P05): Pyramid Sparse Attention. Instead of keeping or dropping
// a key block, each (query block, key block) pair reads the block at one
// pooling level of a key pyramid (1x, 2x, 4x, 8x) or skips it; a pooled key
// carries the logit bias log(pool factor).
//
// Paper: "PSA: Pyramid Sparse Attention for Efficient Video Understanding
//   and Generation", 2025.
// Formula, per (b, head), query block r of 64 queries, key block c of the
//   original keys, level L[r, c] in {1, 2, 4, 8, skip} (set by importance
//   quotas or thresholds), pyramid levels kbar^f, vbar^f (the means of f
//   consecutive keys and values):
//     o_i = sum over c with L[r, c] = f, over the pooled keys u of block c
//           at level f, of softmax(q_i . kbar^f_u / sqrt(d) + log f) vbar^f_u
//   (one softmax over every pooled key the row reads: a pooled key stands
//   for the f keys it averages, log f is their count).
// Parameters: query and key blocks of 64 [verify: the paper decouples the
//   block and tile sizes]; levels 1x-8x; the quotas (e.g. 10% full, 5% 2x,
//   20% 8x, 65% skipped, one README example) are the caller's.
// This spec takes the pyramid concatenated along the keys (the caller's
//   O(N d) pooling, exact): K, V = [level 1x; 2x; 4x; 8x] with Nk their
//   total length, and three captures:
//   - %levels [B, Hq, >= ceil(Nq / 64), 8] (i32): the level exponent e of
//     each (query block, original key block) pair, f = 2^e, 4 = skip;
//     8 original key blocks at most in this spec (the tests' lengths);
//   - %key_level [Nk] (i32): the exponent of the pyramid level key j
//     belongs to;
//   - %key_block [Nk] (i32): the original key block key j pools from.
//   mask_fn keeps key j for query i when levels[b, h, i / 64,
//   key_block[j]] == key_level[j]; score_mod adds key_level[j] * ln 2
//   (log f) to the scaled score. Non-causal (video generation); a query
//   block whose pairs are all skipped is a fully masked row (0).
// Partial (not expressed):
//   - The level map (importance estimate and quotas) is the caller's.
//   - The cost: the mask is a region over captures, so the tile program
//     classifies every tile as partial and visits the whole pyramid
//     (1.875 N keys) instead of the pairs' levels. Plan: a multi-level
//     selection whose kept pairs read pooled K/V tiles with the bias
//     log f in the same online softmax (the pooled-token branch PISA, Y09,
//     needs too).
//   - The causal handling of pooled tokens of the authors' code [verify].
func.func @psa(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>,
               %levels: tensor<?x?x?x8xi32> {attn.name = "levels",
                   attn.dims = ["B", "Hq", "Nq", 8], attn.range = [0, 4]},
               %key_level: tensor<?xi32> {attn.name = "key_level",
                   attn.dims = ["Nk"], attn.range = [0, 3]},
               %key_block: tensor<?xi32> {attn.name = "key_block",
                   attn.dims = ["Nk"], attn.range = [0, 7]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       captures(%levels, %key_level, %key_block
                : tensor<?x?x?x8xi32>, tensor<?xi32>, tensor<?xi32>)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index,
            %lv: tensor<?x?x?x8xi32>, %kl: tensor<?xi32>, %kb: tensor<?xi32>):
         %c64 = arith.constant 64 : index
         %qb = arith.divui %i, %c64 : index
         %blk = tensor.extract %kb[%j] : tensor<?xi32>
         %c = arith.index_cast %blk : i32 to index
         %want = tensor.extract %lv[%b, %h, %qb, %c] : tensor<?x?x?x8xi32>
         %have = tensor.extract %kl[%j] : tensor<?xi32>
         %keep = arith.cmpi eq, %want, %have : i32
         attn.yield %keep : i1
       }
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %lv: tensor<?x?x?x8xi32>, %kl: tensor<?xi32>, %kb: tensor<?xi32>):
         %ln2 = arith.constant 0.693147180559945309 : f32
         %e = tensor.extract %kl[%j] : tensor<?xi32>
         %ef = arith.sitofp %e : i32 to f32
         %bias = arith.mulf %ef, %ln2 : f32
         %t = arith.addf %s, %bias : f32
         attn.yield %t : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
