// Pre-quantized INT4 Q and K read from .npy files: NumPy has no 4-bit
// integers, so an i4 argument is read from an int8 array of its values and
// packed two per byte for the kernel. Values outside [-8, 7] are refused
// when reading, -8 by the value check (the symmetric range is [-7, 7]), an
// odd head dimension by the verifier after specializing (located).
// RUN: %numpy_python -c "import numpy as np; r = np.random.default_rng(0); np.save('%t.q.npy', r.integers(-7, 8, (1,2,5,4)).astype(np.int8)); k = r.integers(-7, 8, (1,2,6,4)).astype(np.int8); np.save('%t.k.npy', k); k8 = k.copy(); k8[0,1,3,2] = -8; np.save('%t.k8.npy', k8); k9 = k.copy(); k9[0,0,0,1] = 9; np.save('%t.k9.npy', k9); np.save('%t.q5.npy', r.integers(-7, 8, (1,2,5,5)).astype(np.int8)); np.save('%t.k5.npy', r.integers(-7, 8, (1,2,6,5)).astype(np.int8)); np.save('%t.v.npy', r.standard_normal((1,2,6,4)).astype(np.float32)); np.save('%t.v5.npy', r.standard_normal((1,2,6,5)).astype(np.float32)); np.save('%t.sq.npy', np.full((1,2,1), 0.1, np.float32)); np.save('%t.sk.npy', np.full((1,1,2), 0.2, np.float32))"
// RUN: attn-run %s --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --tile-program --portable-tiles --tile-q 2 --tile-kv 3 --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: not attn-run %s --tile-program --q %t.q.npy --k %t.k8.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=MIN
// RUN: not attn-run %s --tile-program --q %t.q.npy --k %t.k9.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not attn-run %s --tile-program --q %t.q5.npy --k %t.k5.npy --v %t.v5.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=ODD
// Random inputs: values in [-7, 7] and positive scales.
// RUN: attn-run %s --tile-program --random 3 --shape 1,4,2,37,37,16 --check | FileCheck %s --check-prefix=GOOD
// GOOD: path tile program
// GOOD: PASS
// MIN: error: argument 'k': element 38 is -8.000000: quantized values are symmetric, in [-7, 7] (-8 is not allowed)
// RANGE: error: argument 'k': element 1 is 9, outside the i4 range [-8, 7] (an i4 argument is read from an int8 .npy of its values)
// ODD: quantization-int4.mlir:[[@LINE+5]]:8: error: 'attn.attention' op an i4 query is passed packed two values per byte along the head dimension, which must be even, got head_dim 5
func.func @int4(%q: tensor<?x?x?x?xi4>, %k: tensor<?x?x?x?xi4>, %v: tensor<?x?x?x?xf32>,
                %sq: tensor<1x?x1xf32> {attn.name = "sq"},
                %sk: tensor<1x1x?xf32> {attn.name = "sk"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x?x1xf32>) k_scale(%sk : tensor<1x1x?xf32>)
       mask(#attn.causal) quantization(#attn.quantized_qk<scheme = int4, k_block = 4>)
       : tensor<?x?x?x?xi4>, tensor<?x?x?x?xi4>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
