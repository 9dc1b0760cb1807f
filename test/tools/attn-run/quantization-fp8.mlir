// Pre-quantized FP8 Q and K read from .npy files. NumPy has no FP8 type:
// an f8E4M3FN or f8E5M2 argument is read from a uint8 ('|u1') .npy of its
// bit patterns. Any finite pattern is a value (subnormals included); NaN
// patterns (e4m3fn's 0x7f / 0xff, e5m2's exponent 31 with a mantissa) and
// e5m2's infinities are refused by the value check, as are zero, negative
// and NaN scales; a float .npy for an FP8 argument, a uint8 .npy for a
// float argument and a scale of the wrong shape (located) are errors.
// Lengths 5 and 7 are not multiples of the tiles; both vector widths run,
// and the portable lowering alone.
// RUN: %numpy_python -c "import numpy as np; r = np.random.default_rng(0); b = lambda s, bad: (lambda x: np.where(np.isin(x, bad), 0, x).astype(np.uint8))(r.integers(0, 256, s)); e4 = [0x7f, 0xff]; e5 = list(range(0x7c, 0x80)) + list(range(0xfc, 0x100)); np.save('%t.q4.npy', b((1,2,5,16), e4)); k4 = b((1,2,7,16), e4); np.save('%t.k4.npy', k4); kn = k4.copy(); kn[0,1,3,2] = 0xff; np.save('%t.kn.npy', kn); np.save('%t.q5.npy', b((1,2,5,16), e5)); k5 = b((1,2,7,16), e5); np.save('%t.k5.npy', k5); ki = k5.copy(); ki[0,0,6,0] = 0x7c; np.save('%t.ki.npy', ki); kj = k5.copy(); kj[0,0,0,5] = 0xfd; np.save('%t.kj.npy', kj); np.save('%t.v.npy', r.standard_normal((1,2,7,16)).astype(np.float32)); np.save('%t.kf.npy', r.standard_normal((1,2,7,16)).astype(np.float32)); np.save('%t.vu.npy', b((1,2,7,16), e4)); np.save('%t.sq.npy', r.uniform(0.001, 0.01, (1,2,3)).astype(np.float32)); np.save('%t.sk.npy', r.uniform(0.001, 0.01, (1,2,7)).astype(np.float32)); s0 = r.uniform(0.001, 0.01, (1,2,7)).astype(np.float32); s0[0,1,2] = 0; np.save('%t.s0.npy', s0); sn = s0.copy(); sn[0,1,2] = -0.5; np.save('%t.sn.npy', sn); np.save('%t.s3.npy', np.full((1,2,3), 0.01, np.float32)); np.save('%t.sk5.npy', r.uniform(1e-6, 1e-5, (1,2,7)).astype(np.float32)); np.save('%t.sq5.npy', r.uniform(1e-6, 1e-5, (1,2,3)).astype(np.float32))"
// RUN: attn-run %s --entry e4m3 --tile-program --q %t.q4.npy --k %t.k4.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy --check --vector-width 16 | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry e4m3 --tile-program --q %t.q4.npy --k %t.k4.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy --check --vector-width 8 | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry e4m3 --tile-program --portable-tiles --tile-q 2 --tile-kv 3 --q %t.q4.npy --k %t.k4.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry e5m2 --tile-program --q %t.q5.npy --k %t.k5.npy --v %t.v.npy --operand sq=%t.sq5.npy --operand sk=%t.sk5.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry e5m2 --tile-program --portable-tiles --tile-q 2 --tile-kv 3 --q %t.q5.npy --k %t.k5.npy --v %t.v.npy --operand sq=%t.sq5.npy --operand sk=%t.sk5.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: not attn-run %s --entry e4m3 --tile-program --q %t.q4.npy --k %t.kn.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=NAN
// RUN: not attn-run %s --entry e5m2 --tile-program --q %t.q5.npy --k %t.ki.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=INF
// RUN: not attn-run %s --entry e5m2 --tile-program --q %t.q5.npy --k %t.kj.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=NAN5
// RUN: not attn-run %s --entry e4m3 --tile-program --q %t.q4.npy --k %t.k4.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.s0.npy 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not attn-run %s --entry e4m3 --tile-program --q %t.q4.npy --k %t.k4.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sn.npy 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not attn-run %s --entry e4m3 --tile-program --q %t.q4.npy --k %t.kf.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=FLOAT
// RUN: not attn-run %s --entry e4m3 --tile-program --q %t.q4.npy --k %t.k4.npy --v %t.vu.npy --operand sq=%t.sq.npy --operand sk=%t.sk.npy 2>&1 | FileCheck %s --check-prefix=UINT
// RUN: not attn-run %s --entry e4m3 --tile-program --q %t.q4.npy --k %t.k4.npy --v %t.v.npy --operand sq=%t.sq.npy --operand sk=%t.s3.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// Random inputs: FP8 values N(0, (F/4)^2) rounded to the format, positive
// scales; a decode step (one query), and more queries than keys (causal:
// the first rows keep no key and give 0).
// RUN: attn-run %s --entry e4m3 --tile-program --random 3 --shape 1,4,2,37,37,16 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry e5m2 --tile-program --random 4 --shape 2,2,2,1,45,32 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry e4m3 --tile-program --random 5 --shape 1,2,1,70,30,16 --check --vector-width 8 | FileCheck %s --check-prefix=GOOD
// The compiler's FP8 (e5m2 here: e4m3 in test/zoo/fp8-quant.mlir) per block
// of 3 queries and 5 keys with K smoothing, a window, P V in INT8: every
// block's largest element maps to F (x / s rounds to F or saturates to it).
// RUN: attn-run %s --entry in_spec_e5m2 --tile-program --random 6 --shape 1,2,2,37,45,16 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry in_spec_e5m2 --tile-program --random 7 --shape 2,2,1,1,33,8 --check --vector-width 8 | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry in_spec_e5m2 --tile-program --portable-tiles --tile-q 4 --tile-kv 6 --random 8 --shape 1,2,2,23,17,16 --check | FileCheck %s --check-prefix=GOOD
// With a rotation (random orthogonal matrices): the float Q and K are
// rotated before the compiler's FP8; an e4m3 key cache (keys_only, bf16
// query) holds keys rotated offline and only the query is rotated.
// RUN: attn-run %s --entry rotated_in_spec --tile-program --random 9 --shape 1,4,2,45,61,16 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry rotated_cache --tile-program --random 10 --shape 1,4,2,45,61,16 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry rotated_cache --tile-program --random 11 --portable-tiles --tile-q 5 --tile-kv 7 --shape 2,2,1,9,13,8 --check | FileCheck %s --check-prefix=GOOD
// GOOD: path tile program
// GOOD: PASS
// NAN: error: argument 'k': element 162 is nan: pre-quantized FP8 values must be finite (NaN and infinity patterns are not allowed)
// INF: error: argument 'k': element 96 is inf: pre-quantized FP8 values must be finite (NaN and infinity patterns are not allowed)
// NAN5: error: argument 'k': element 5 is nan: pre-quantized FP8 values must be finite (NaN and infinity patterns are not allowed)
// ZERO: error: argument 'sk': element 9 is 0.000000: a quantization scale must be finite and positive
// NEG: error: argument 'sk': element 9 is -0.500000: a quantization scale must be finite and positive
// FLOAT: error: argument 'k' is f8E4M3FN: it is read from a uint8 .npy of its bit patterns (NumPy has no FP8 type), got f32
// UINT: error: argument 'v': a uint8 .npy holds FP8 bit patterns, for an f8E4M3FN or f8E5M2 argument only
// SHAPE: quantization-fp8.mlir:[[@LINE+7]]:8: error: 'attn.attention' op k_scale dimension 2 (token blocks, ceil(length / block)) is 3 but must be 1 or 7

// Scales per head and per block of 2 queries, per token for keys.
func.func @e4m3(%q: tensor<?x?x?x?xf8E4M3FN>, %k: tensor<?x?x?x?xf8E4M3FN>, %v: tensor<?x?x?x?xf32>,
                %sq: tensor<1x?x?xf32> {attn.name = "sq"},
                %sk: tensor<?x?x?xf32> {attn.name = "sk"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x?x?xf32>) k_scale(%sk : tensor<?x?x?xf32>)
       mask(#attn.causal) quantization(#attn.quantized_qk<scheme = fp8_e4m3, q_block = 2>)
       : tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @e5m2(%q: tensor<?x?x?x?xf8E5M2>, %k: tensor<?x?x?x?xf8E5M2>, %v: tensor<?x?x?x?xf32>,
                %sq: tensor<1x?x?xf32> {attn.name = "sq"},
                %sk: tensor<?x?x?xf32> {attn.name = "sk"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x?x?xf32>) k_scale(%sk : tensor<?x?x?xf32>)
       mask(#attn.window<left = 3, right = 1>) quantization(#attn.quantized_qk<scheme = fp8_e5m2, q_block = 2>)
       : tensor<?x?x?x?xf8E5M2>, tensor<?x?x?x?xf8E5M2>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @in_spec_e5m2(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.window<left = 9, right = 2>)
       quantization(#attn.quantized_qk<scheme = fp8_e5m2, q_block = 3, k_block = 5, smooth_k = true, pv = int8>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @rotated_in_spec(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
                           %r: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v rotation(%r : tensor<?x?x?xf32>) mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = fp8_e4m3, q_block = 8, k_block = 16, smooth_k = true>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @rotated_cache(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xf8E4M3FN>, %v: tensor<?x?x?x?xbf16>,
                         %sk: tensor<?x?x?xf32>, %r: tensor<?x?x?xf32>) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v k_scale(%sk : tensor<?x?x?xf32>) rotation(%r : tensor<?x?x?xf32>) mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = fp8_e4m3, keys_only = true, k_block = 4>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
