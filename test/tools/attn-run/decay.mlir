// A decay operand outside (0, 1] is refused before the kernel runs (the
// compiled code does not check it; the reference reports it too), and a
// valid one runs and passes the check.
// RUN: %numpy_python -c "import numpy as np; r = np.random.default_rng(0); [np.save('%t.' + n + '.npy', r.standard_normal((1,2,5,4)).astype(np.float32)) for n in 'qkv']; np.save('%t.good.npy', np.full((1,2,1), 0.9, np.float32)); np.save('%t.zero.npy', np.array([[[0.9],[0.0]]], np.float32)); np.save('%t.big.npy', np.array([[[1.5],[0.9]]], np.float32))"
// RUN: attn-run %s --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand lambda=%t.good.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: not attn-run %s --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand lambda=%t.zero.npy 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not attn-run %s --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand lambda=%t.big.npy 2>&1 | FileCheck %s --check-prefix=BIG
// GOOD: PASS
// ZERO: error: argument 'lambda': element 1 is 0.000000: a decay must lie in (0, 1]
// BIG: error: argument 'lambda': element 0 is 1.500000: a decay must lie in (0, 1]
func.func @decayed(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                   %v: tensor<?x?x?x?xf32>,
                   %lambda: tensor<1x?x1xf32> {attn.name = "lambda"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v decay(%lambda : tensor<1x?x1xf32>)
       mask(#attn.causal) normalization(#attn.normalize<identity>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
