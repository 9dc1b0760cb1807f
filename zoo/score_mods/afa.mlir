// Adaptive Filter Attention (AFA), isotropic variant (reconstructed).
// ZOO.md: S09 `afa`.
//
// Paper: "Attention as an Adaptive Filter", Racioppo, 2025 (later versions:
//   "Robust Filter Attention").
// Model: tokens are noisy observations of a latent linear SDE
//   dx = A x dt + noise; the key at time t_j is propagated to the query time
//   t_i by the dynamics, e^{A dt}, with dt = t_i - t_j, and its uncertainty
//   by the closed-form Lyapunov solution; the attention weights are the
//   maximum-likelihood (robust, residual-reweighted) combination of these
//   propagated predictions. The simplified ("isotropic") variant has one
//   decay mu_h, one rotation frequency spectrum (RoPE-like) and scalar noise
//   levels per head, and the cost of standard attention.
// Formula used here (isotropic, per head h, dt = p - j >= 0 with p = i +
//   Nk - Nq the aligned query position, Nq and Nk read off the extents of
//   the qn and kn operands with tensor.dim):
//   e = exp(-mu dt)
//   V(dt) = sigma2 / (2 mu) (1 - e^2) + eta2 (1 + e^2)   (propagated variance:
//           process noise accumulated over dt plus the measurement noise of
//           the query and of the propagated key)
//   r2_ij = |q_i|^2 + e^2 |k_j|^2 - 2 e (q_i . R(dt) k_j)   (squared residual
//           of the query against the propagated key; R = the rotation part
//           of the dynamics, applied to q and k by the caller as RoPE so
//           that the op's dot product is q_i . R(dt) k_j)
//   s_ij = -log V(dt) - log(1 + r2_ij / V(dt))           (Student-t-like robust
//           log-weight of the pairwise precision 1 / V)
//   o_i = sum_j softmax_j(s_ij) v_j, causal.
//   In the limit mu -> 0, sigma2 -> 0 and small residuals this reduces to a
//   dot-product (RoPE) attention, as the paper states.
// Parameters: per head mu_h > 0, sigma2_h, eta2_h (operand params[Hq, 3],
//   the test draws them positive, in [0.1, 1.0]); qn[b, h, i] = |q_i|^2 and
//   kn[b, h, j] = |k_j|^2 are computed by the caller (one reduction each);
//   scale(1.0) (the dot product enters r2 unscaled).
// [verify] - APPROXIMATION: the exact log-weight of the paper (its robust
//   reweighting function, the tensor-form precision of the full variant, and
//   whether dt uses the token index) could not be checked against the paper
//   body; the structure (propagated precision times a residual-based robust
//   factor, RoPE in the noiseless limit) is the abstract's, the functional
//   form above is a reconstruction. docs/zoo.md lists S09 as partial.
func.func @afa(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>,
               %qn: tensor<?x?x?xf32> {attn.dims = ["B", "Hq", "Nq"], attn.range = [0.0, 4.0]},
               %kn: tensor<?x?x?xf32> {attn.dims = ["B", "Hq", "Nk"], attn.range = [0.0, 4.0]},
               %params: tensor<?x3xf32> {attn.dims = ["Hq", 3], attn.range = [0.1, 1.0]})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       captures(%qn, %kn, %params : tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<?x3xf32>)
       mask(#attn.causal) scale(1.0)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index,
            %tq: tensor<?x?x?xf32>, %tk: tensor<?x?x?xf32>, %tp: tensor<?x3xf32>):
         %c0 = arith.constant 0 : index
         %c1 = arith.constant 1 : index
         %c2 = arith.constant 2 : index
         %one = arith.constant 1.0 : f32
         %two = arith.constant 2.0 : f32
         %mu = tensor.extract %tp[%h, %c0] : tensor<?x3xf32>
         %sig2 = tensor.extract %tp[%h, %c1] : tensor<?x3xf32>
         %eta2 = tensor.extract %tp[%h, %c2] : tensor<?x3xf32>
         %nqx = tensor.dim %tq, %c2 : tensor<?x?x?xf32>
         %nkx = tensor.dim %tk, %c2 : tensor<?x?x?xf32>
         %off = arith.subi %nkx, %nqx : index
         %p = arith.addi %i, %off : index
         %dti = arith.subi %p, %j : index
         %dt64 = arith.index_cast %dti : index to i64
         %dt = arith.sitofp %dt64 : i64 to f32
         %mdt = arith.mulf %mu, %dt : f32
         %nmdt = arith.negf %mdt : f32
         %e = math.exp %nmdt : f32
         %e2 = arith.mulf %e, %e : f32
         // V = sigma2 / (2 mu) (1 - e^2) + eta2 (1 + e^2)
         %one_m = arith.subf %one, %e2 : f32
         %two_mu = arith.mulf %two, %mu : f32
         %proc0 = arith.divf %sig2, %two_mu : f32
         %proc = arith.mulf %proc0, %one_m : f32
         %one_p = arith.addf %one, %e2 : f32
         %meas = arith.mulf %eta2, %one_p : f32
         %var = arith.addf %proc, %meas : f32
         // r2 = |q|^2 + e^2 |k|^2 - 2 e (q . R k)
         %nq = tensor.extract %tq[%b, %h, %i] : tensor<?x?x?xf32>
         %nk = tensor.extract %tk[%b, %h, %j] : tensor<?x?x?xf32>
         %ek = arith.mulf %e2, %nk : f32
         %base = arith.addf %nq, %ek : f32
         %es = arith.mulf %e, %s : f32
         %cross = arith.mulf %two, %es : f32
         %r2raw = arith.subf %base, %cross : f32
         %zero = arith.constant 0.0 : f32
         %r2 = arith.maximumf %r2raw, %zero : f32
         // s = -log V - log(1 + r2 / V)
         %ratio = arith.divf %r2, %var : f32
         %robust = math.log1p %ratio : f32
         %lv = math.log %var : f32
         %t = arith.addf %lv, %robust : f32
         %res = arith.negf %t : f32
         attn.yield %res : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
