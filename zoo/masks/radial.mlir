// Radial Attention: spatial window shrinking with temporal distance (video).
// ZOO.md: M13 `radial`.
//
// Paper: "Radial Attention: O(n log n) Sparse Attention with Energy Decay
//   for Long Video Generation", Li et al., 2025.
// Formula (token-level mask of the authors' code, radial_attn/attn_mask.py,
//   get_window_width / get_diagonal_split_mask, HunyuanVideo branch): video
//   tokens are laid out frame-major, T_f tokens per frame; for a query in
//   frame f_q at position p_q and a key in frame f_k at position p_k, with
//   d = |f_q - f_k|, g = bl(d) = floor(log2 d) + 1 (bl(0) = 0), B = bl(T_f):
//     d <= 1:  dense (the same and the adjacent frames);
//     else:    L = 2^(B - g) * decay (the "energy-decay" window),
//              keep iff |p_q - p_k| <= max(L, 128)
//              and, when 2^(B - g) < 128, d mod (128 * 2^g / 2^B) == 0
//              (far frames are visited with a stride, dense on the kept ones).
//   o_i = sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the kept keys
//   (bidirectional). The window halves each time the frame distance
//   doubles: O(n log n) kept pairs.
// Parameters: T_f = 256 tokens per frame (B = bl(256) = 9), decay = 1
//   (HunyuanVideo setting of the code's example), block/threshold 128;
//   scale 1/sqrt(d). With T_f = 256: d in {2, 3}: |dp| <= 128; d in [4, 8):
//   |dp| <= 128 and d even; d in [8, 16): d mod 4 == 0; and so on.
// Choices and [verify] items:
//   - Token-level mask only. The authors' kernel then *shrinks* this mask to
//     a 128 x 128 block mask with a density heuristic (shrinkMaskStrict:
//     keep a block when > 60% of its non-empty columns have density > 1/3);
//     that heuristic approximation is not reproduced (partial entry).
//   - HunyuanVideo branch: frames at distance <= 1 are dense. The Wan branch
//     (frame 0 a dense "attention sink", adjacent frames window T_f/2) is
//     the same region with those two cases changed.
//   - Text tokens (dense rows and columns after the video tokens) are not
//     modelled: the spec covers the video-video block.
//   - bl(d) for d < 2^13 frames is a sum of comparisons (analysable by the
//     block classification; math.ctlz would be equivalent).
func.func @radial(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %tf = arith.constant 256 : index
         %c0 = arith.constant 0 : index
         %c1 = arith.constant 1 : index
         %c2 = arith.constant 2 : index
         %c128 = arith.constant 128 : index
         %fq = arith.divui %i, %tf : index
         %fk = arith.divui %j, %tf : index
         %pq = arith.remui %i, %tf : index
         %pk = arith.remui %j, %tf : index
         %fd0 = arith.subi %fq, %fk : index
         %fd1 = arith.subi %fk, %fq : index
         %d = arith.maxsi %fd0, %fd1 : index
         %pd0 = arith.subi %pq, %pk : index
         %pd1 = arith.subi %pk, %pq : index
         %dp = arith.maxsi %pd0, %pd1 : index
         // g = bl(d) = #{t in [0, 13) : d >= 2^t}
         %t0 = arith.cmpi uge, %d, %c1 : index
         %t1 = arith.cmpi uge, %d, %c2 : index
         %p4 = arith.constant 4 : index
         %t2 = arith.cmpi uge, %d, %p4 : index
         %p8 = arith.constant 8 : index
         %t3 = arith.cmpi uge, %d, %p8 : index
         %p16 = arith.constant 16 : index
         %t4 = arith.cmpi uge, %d, %p16 : index
         %p32 = arith.constant 32 : index
         %t5 = arith.cmpi uge, %d, %p32 : index
         %p64 = arith.constant 64 : index
         %t6 = arith.cmpi uge, %d, %p64 : index
         %t7 = arith.cmpi uge, %d, %c128 : index
         %p256 = arith.constant 256 : index
         %t8 = arith.cmpi uge, %d, %p256 : index
         %p512 = arith.constant 512 : index
         %t9 = arith.cmpi uge, %d, %p512 : index
         %p1024 = arith.constant 1024 : index
         %t10 = arith.cmpi uge, %d, %p1024 : index
         %p2048 = arith.constant 2048 : index
         %t11 = arith.cmpi uge, %d, %p2048 : index
         %p4096 = arith.constant 4096 : index
         %t12 = arith.cmpi uge, %d, %p4096 : index
         %e0 = arith.extui %t0 : i1 to i64
         %e1 = arith.extui %t1 : i1 to i64
         %e2 = arith.extui %t2 : i1 to i64
         %e3 = arith.extui %t3 : i1 to i64
         %e4 = arith.extui %t4 : i1 to i64
         %e5 = arith.extui %t5 : i1 to i64
         %e6 = arith.extui %t6 : i1 to i64
         %e7 = arith.extui %t7 : i1 to i64
         %e8 = arith.extui %t8 : i1 to i64
         %e9 = arith.extui %t9 : i1 to i64
         %e10 = arith.extui %t10 : i1 to i64
         %e11 = arith.extui %t11 : i1 to i64
         %e12 = arith.extui %t12 : i1 to i64
         %s1 = arith.addi %e0, %e1 : i64
         %s2 = arith.addi %s1, %e2 : i64
         %s3 = arith.addi %s2, %e3 : i64
         %s4 = arith.addi %s3, %e4 : i64
         %s5 = arith.addi %s4, %e5 : i64
         %s6 = arith.addi %s5, %e6 : i64
         %s7 = arith.addi %s6, %e7 : i64
         %s8 = arith.addi %s7, %e8 : i64
         %s9 = arith.addi %s8, %e9 : i64
         %s10 = arith.addi %s9, %e10 : i64
         %s11 = arith.addi %s10, %e11 : i64
         %g = arith.addi %s11, %e12 : i64
         // e = B - g with B = bl(T_f) = 9; the window 2^e (decay 1) is
         // >= 128 iff e >= 7.
         %bB = arith.constant 9 : i64
         %seven = arith.constant 7 : i64
         %e = arith.subi %bB, %g : i64
         %wide = arith.cmpi sge, %e, %seven : i64
         %one64 = arith.constant 1 : i64
         %zero64 = arith.constant 0 : i64
         %esafe = arith.maxsi %e, %zero64 : i64
         %wpow = arith.shli %one64, %esafe : i64
         %c128i = arith.constant 128 : i64
         %win64 = arith.select %wide, %wpow, %c128i : i64
         %win = arith.index_cast %win64 : i64 to index
         %inwin = arith.cmpi ule, %dp, %win : index
         // Split: d mod 2^(g + 7 - B) == 0 when e < 7.
         %sh0 = arith.subi %seven, %e : i64
         %sh = arith.maxsi %sh0, %zero64 : i64
         %shc = arith.minsi %sh, %bB : i64
         %m1 = arith.shli %one64, %shc : i64
         %mask = arith.subi %m1, %one64 : i64
         %d64 = arith.index_cast %d : index to i64
         %rem = arith.andi %d64, %mask : i64
         %aligned = arith.cmpi eq, %rem, %zero64 : i64
         %split = arith.ori %wide, %aligned : i1
         %far = arith.andi %inwin, %split : i1
         %dense = arith.cmpi ule, %d, %c1 : index
         %keep = arith.ori %dense, %far : i1
         attn.yield %keep : i1
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
