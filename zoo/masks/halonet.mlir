// HaloNet: blocked local self-attention with halos and relative logits.
// ZOO.md: M11 `halonet`.
//
// Paper: "Scaling Local Self-Attention for Parameter Efficient Visual
//   Backbones", Vaswani, Ramachandran, Srinivas, Parmar, Hechtman and
//   Shlens, CVPR 2021.
// Formula: the H x W map is split into non-overlapping b x b query blocks;
//   every query of a block attends to the (b + 2h) x (b + 2h) neighbourhood
//   of its block (the block plus a halo of h pixels on each side):
//     keep(i, j) = Y*b - h <= y_j < Y*b + b + h and X*b - h <= x_j < X*b + b + h
//     with (Y, X) = (floor(y_i / b), floor(x_i / b))
//   plus relative position logits (Bello et al.'s 2-D relative attention,
//   factorized over height and width):
//     s_ij = q_i . k_j / sqrt(d) + q_i . r^h_{y_j - y_i} + q_i . r^w_{x_j - x_i}
//   o_i = sum_j softmax_j(s_ij) v_j over the kept keys.
// Parameters:
//   - b = 8, h = 3 (HaloNet's default block and halo: 14 x 14 windows).
//   - Grid width W = 16 (height inferred from N); the relative-offset
//     arithmetic needs a static width.
//   - relh, relw [B, Hq, Nq, 21]: the relative logits q_i . r_dy for
//     dy in [-(b+h-1), b+h-1] (21 = 2(b+h) - 1 offsets), computed by the
//     caller (one small GEMM of q against the relative embeddings, exactly
//     how timm's HaloAttn computes them before adding them to the logits).
//   - scale 1/sqrt(d).
// Choices and [verify] items:
//   - The halo outside the image is zero-padded in the paper's
//     implementation; here padded keys are absent (masked), i.e. no
//     zero-key logits enter the softmax [verify: whether padded positions
//     are masked in the reference code].
//   - Relative offsets lie in [-(b+h-1), b+h-1] for keys in the halo window;
//     the tables are indexed by offset + b + h - 1.
func.func @halonet(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                   %v: tensor<?x?x?x?xf32>,
                   %relh: tensor<?x?x?x21xf32> {attn.dims = ["B", "Hq", "Nq", 21]},
                   %relw: tensor<?x?x?x21xf32> {attn.dims = ["B", "Hq", "Nq", 21]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       captures(%relh, %relw : tensor<?x?x?x21xf32>, tensor<?x?x?x21xf32>)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index,
            %rh: tensor<?x?x?x21xf32>, %rw: tensor<?x?x?x21xf32>):
         %w = arith.constant 16 : index
         %blk = arith.constant 8 : index
         %halo = arith.constant 3 : index
         %span = arith.constant 14 : index
         %yi = arith.divui %i, %w : index
         %xi = arith.remui %i, %w : index
         %yj = arith.divui %j, %w : index
         %xj = arith.remui %j, %w : index
         // Key coordinates relative to the block start, shifted by the halo:
         // keep iff 0 <= y_j - (Y*b - h) < b + 2h (signed).
         %by = arith.divui %yi, %blk : index
         %bx = arith.divui %xi, %blk : index
         %y0 = arith.muli %by, %blk : index
         %x0 = arith.muli %bx, %blk : index
         %yr0 = arith.addi %yj, %halo : index
         %yr = arith.subi %yr0, %y0 : index
         %xr0 = arith.addi %xj, %halo : index
         %xr = arith.subi %xr0, %x0 : index
         %c0 = arith.constant 0 : index
         %ylo = arith.cmpi sge, %yr, %c0 : index
         %yhi = arith.cmpi slt, %yr, %span : index
         %xlo = arith.cmpi sge, %xr, %c0 : index
         %xhi = arith.cmpi slt, %xr, %span : index
         %ky = arith.andi %ylo, %yhi : i1
         %kx = arith.andi %xlo, %xhi : i1
         %keep = arith.andi %ky, %kx : i1
         attn.yield %keep : i1
       }
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %rh: tensor<?x?x?x21xf32>, %rw: tensor<?x?x?x21xf32>):
         %w = arith.constant 16 : index
         %off = arith.constant 10 : index
         %yi = arith.divui %i, %w : index
         %xi = arith.remui %i, %w : index
         %yj = arith.divui %j, %w : index
         %xj = arith.remui %j, %w : index
         %dy0 = arith.addi %yj, %off : index
         %dy = arith.subi %dy0, %yi : index
         %dx0 = arith.addi %xj, %off : index
         %dx = arith.subi %dx0, %xi : index
         %lh = tensor.extract %rh[%b, %h, %i, %dy] : tensor<?x?x?x21xf32>
         %lw = tensor.extract %rw[%b, %h, %i, %dx] : tensor<?x?x?x21xf32>
         %t = arith.addf %s, %lh : f32
         %r = arith.addf %t, %lw : f32
         attn.yield %r : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
