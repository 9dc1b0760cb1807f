// Values a quantized spec refuses before the kernel runs (compiled code
// does not check them; the reference reports them too): scales that are
// 0, negative or NaN, and i8 values of -128 (the symmetric range is
// [-127, 127]). Valid .npy inputs (i8 Q and K, f32 scales) run and pass.
// RUN: %numpy_python -c "import numpy as np; r = np.random.default_rng(0); np.save('%t.q.npy', r.integers(-127, 128, (1,2,5,4)).astype(np.int8)); k = r.integers(-127, 128, (1,2,6,4)).astype(np.int8); np.save('%t.k.npy', k); k[0,1,3,2] = -128; np.save('%t.k128.npy', k); np.save('%t.v.npy', r.standard_normal((1,2,6,4)).astype(np.float32)); np.save('%t.sq.npy', np.full((1,2,1), 0.01, np.float32)); np.save('%t.sq3.npy', np.full((1,3,1), 0.01, np.float32)); np.save('%t.sk.npy', np.full((1,1,2), 0.02, np.float32)); np.save('%t.zero.npy', np.array([[[0.01],[0.0]]], np.float32)); np.save('%t.neg.npy', np.array([[[0.02, -0.5]]], np.float32)); np.save('%t.nan.npy', np.array([[[np.nan],[0.01]]], np.float32))"
// RUN: attn-run %s --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: not attn-run %s --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sq=%t.zero.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not attn-run %s --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.neg.npy 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not attn-run %s --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sq=%t.nan.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=NAN
// RUN: not attn-run %s --tile-program --q %t.q.npy --k %t.k128.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=MIN
// A scale of the wrong shape is a located verifier error after specializing.
// RUN: not attn-run %s --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sq=%t.sq3.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// GOOD: path tile program
// GOOD: PASS
// ZERO: error: argument 'sq': element 1 is 0.000000: a quantization scale must be finite and positive
// NEG: error: argument 'sk': element 1 is -0.500000: a quantization scale must be finite and positive
// NAN: error: argument 'sq': element 0 is nan: a quantization scale must be finite and positive
// MIN: error: argument 'k': element 38 is -128.000000: quantized values are symmetric, in [-127, 127] (-128 is not allowed)
// SHAPE: quantization.mlir:[[@LINE+5]]:8: error: 'attn.attention' op q_scale dimension 1 (heads) is 3 but must be 1 or 2
func.func @int8(%q: tensor<?x?x?x?xi8>, %k: tensor<?x?x?x?xi8>, %v: tensor<?x?x?x?xf32>,
                %sq: tensor<1x?x1xf32> {attn.name = "sq"},
                %sk: tensor<1x1x?xf32> {attn.name = "sk"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x?x1xf32>) k_scale(%sk : tensor<1x1x?xf32>)
       mask(#attn.causal) quantization(#attn.quantized_qk<scheme = int8, k_block = 4>)
       : tensor<?x?x?x?xi8>, tensor<?x?x?x?xi8>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
