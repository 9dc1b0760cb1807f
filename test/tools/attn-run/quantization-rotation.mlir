// A rotation of q and k before quantization (OSCAR): the runner fills the
// rotation argument with random orthogonal matrices (one per key head), and
// the compiled tile program matches the float64 reference, which rotates
// itself (products exact, sums in f64 in channel order, as declared).
// RUN: attn-run %s --tile-program --random 1 --shape 1,4,2,70,70,16 --check | FileCheck %s
// RUN: attn-run %s --tile-program --portable-tiles --tile-q 8 --tile-kv 5 --random 2 --shape 2,2,2,1,37,8 --check | FileCheck %s
// A rotation of the wrong head count is a located verifier error after
// specializing.
// RUN: %numpy_python -c "import numpy as np; r = np.random.default_rng(0); np.save('%t.q.npy', r.standard_normal((1,4,6,8)).astype(np.float32)); np.save('%t.k.npy', r.standard_normal((1,2,6,8)).astype(np.float32)); np.save('%t.r.npy', np.stack([np.eye(8, dtype=np.float32)] * 3))"
// RUN: not attn-run %s --tile-program --q %t.q.npy --k %t.k.npy --v %t.k.npy --operand r=%t.r.npy 2>&1 | FileCheck %s --check-prefix=HEADS
// CHECK: path tile program
// CHECK: check output {{.*}} PASS
// HEADS: quantization-rotation.mlir:[[@LINE+4]]:8: error: 'attn.attention' op rotation dimension 0 (key heads) is 3 but must be 1 or 2
func.func @rotated(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
                   %r: tensor<?x?x?xf32> {attn.name = "r"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v rotation(%r : tensor<?x?x?xf32>) mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int4, q_block = 16, k_block = 8, smooth_k = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
