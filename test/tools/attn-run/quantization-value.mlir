// A pre-quantized V (a value cache, #attn.quantized_v): i8 values per token
// and per channel, FP8 (e4m3, e5m2) values per block of keys, with a float
// Q K^T, the compiler's INT8 Q K^T and an INT8 key cache (keys_only), f32
// and bf16 outputs, against the float64 reference of the exact math
// (values times their scales). Values from .npy files (FP8 as uint8 bit
// patterns) and random ones (i8 in [-127, 127], FP8 N(0, (F/4)^2) rounded
// to the format, positive scales); both vector widths and the portable
// lowering at tiles that split every length (5, 7, 37, 45: not multiples
// of the tiles), a decode step (one query), one key, more queries than
// keys under a causal mask (fully masked rows give 0). Refused: zero,
// negative and NaN scales, -128, an FP8 NaN pattern, a scale of the wrong
// shape (located), the untiled lowering (by name).
// RUN: %numpy_python -c "import numpy as np; r = np.random.default_rng(0); np.save('%t.q.npy', r.standard_normal((1,2,5,16)).astype(np.float32)); np.save('%t.k.npy', r.standard_normal((1,2,7,16)).astype(np.float32)); v = r.integers(-127, 128, (1,2,7,16)).astype(np.int8); np.save('%t.v.npy', v); v[0,1,6,15] = -128; np.save('%t.v128.npy', v); s = r.uniform(0.001, 0.02, (1,2,7)).astype(np.float32); np.save('%t.sv.npy', s); z = s.copy(); z[0,1,2] = 0; np.save('%t.s0.npy', z); z[0,1,2] = -0.5; np.save('%t.sn.npy', z); z[0,1,2] = np.nan; np.save('%t.snan.npy', z); np.save('%t.s3.npy', np.full((1,2,3), 0.01, np.float32)); f = r.integers(0, 256, (1,2,7,16)); f = np.where((f & 0x7f) == 0x7f, 0, f).astype(np.uint8); np.save('%t.f8.npy', f); f[0,0,1,0] = 0x7f; np.save('%t.f8nan.npy', f); np.save('%t.sf.npy', r.uniform(0.001, 0.01, (1,1,3)).astype(np.float32))"
// RUN: attn-run %s --entry i8_token --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sv=%t.sv.npy --check --vector-width 16 | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry i8_token --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sv=%t.sv.npy --check --vector-width 8 | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry i8_token --tile-program --portable-tiles --tile-q 2 --tile-kv 3 --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sv=%t.sv.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry e4m3_blocks --tile-program --q %t.q.npy --k %t.k.npy --v %t.f8.npy --operand sv=%t.sf.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry e4m3_blocks --tile-program --portable-tiles --tile-q 2 --tile-kv 3 --q %t.q.npy --k %t.k.npy --v %t.f8.npy --operand sv=%t.sf.npy --check | FileCheck %s --check-prefix=GOOD
// RUN: not attn-run %s --entry i8_token --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sv=%t.s0.npy 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not attn-run %s --entry i8_token --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sv=%t.sn.npy 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not attn-run %s --entry i8_token --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sv=%t.snan.npy 2>&1 | FileCheck %s --check-prefix=NAN
// RUN: not attn-run %s --entry i8_token --tile-program --q %t.q.npy --k %t.k.npy --v %t.v128.npy --operand sv=%t.sv.npy 2>&1 | FileCheck %s --check-prefix=MIN
// RUN: not attn-run %s --entry e4m3_blocks --tile-program --q %t.q.npy --k %t.k.npy --v %t.f8nan.npy --operand sv=%t.sf.npy 2>&1 | FileCheck %s --check-prefix=FP8NAN
// RUN: not attn-run %s --entry i8_token --tile-program --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sv=%t.s3.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not attn-run %s --entry i8_token --untiled --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand sv=%t.sv.npy 2>&1 | FileCheck %s --check-prefix=UNTILED
// Random inputs, two seeds per spec.
// RUN: attn-run %s --entry i8_token --tile-program --random 1 --shape 1,4,2,37,45,16 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry i8_token --tile-program --random 2 --shape 2,2,2,70,30,16 --check --vector-width 8 | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry i8_channel_int8_qk --tile-program --random 3 --shape 1,4,2,37,45,16,24 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry i8_channel_int8_qk --tile-program --random 4 --shape 2,2,1,1,33,8 --check --vector-width 8 | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry i8_channel_int8_qk --tile-program --portable-tiles --tile-q 5 --tile-kv 7 --random 5 --shape 1,2,2,23,17,16 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry e4m3_blocks --tile-program --random 6 --shape 1,2,1,45,61,16 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry e4m3_blocks --tile-program --random 7 --shape 1,2,1,1,1,16 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry kv_cache_bf16 --tile-program --random 8 --shape 1,4,2,37,45,16 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry kv_cache_bf16 --tile-program --random 9 --shape 2,4,2,1,64,16 --check --vector-width 8 | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry kv_cache_bf16 --tile-program --portable-tiles --tile-q 4 --tile-kv 6 --random 10 --shape 1,2,1,9,13,8 --check | FileCheck %s --check-prefix=GOOD
// Split-KV (three key splits merged): the splits read the one dequantized V.
// RUN: attn-run %s --entry i8_channel_int8_qk --tile-program --split-kv 3 --random 11 --shape 1,2,2,40,130,16 --check | FileCheck %s --check-prefix=GOOD
// RUN: attn-run %s --entry e4m3_blocks --tile-program --split-kv 3 --random 12 --shape 2,2,1,3,101,8 --check | FileCheck %s --check-prefix=GOOD
// GOOD: path tile program
// GOOD: PASS
// ZERO: error: argument 'sv': element 9 is 0.000000: a quantization scale must be finite and positive
// NEG: error: argument 'sv': element 9 is -0.500000: a quantization scale must be finite and positive
// NAN: error: argument 'sv': element 9 is nan: a quantization scale must be finite and positive
// MIN: error: argument 'v': element 223 is -128.000000: quantized values are symmetric, in [-127, 127] (-128 is not allowed)
// FP8NAN: error: argument 'v': element 16 is nan: pre-quantized FP8 values must be finite (NaN and infinity patterns are not allowed)
// SHAPE: quantization-value.mlir:[[@LINE+6]]:8: error: 'attn.attention' op v_scale dimension 2 (token blocks, ceil(key length / block)) is 3 but must be 1 or 7
// UNTILED: quantization-value.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares a pre-quantized value (#attn.quantized_v): a value cache is lowered through the tile program only

// i8 V, one scale per key token and value head; float Q K^T, causal.
func.func @i8_token(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xi8>,
                    %sv: tensor<?x?x?xf32> {attn.name = "sv"}) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v v_scale(%sv : tensor<?x?x?xf32>) mask(#attn.causal)
       value_quantization(#attn.quantized_v<scheme = int8, per = token>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xi8> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// i8 V per channel (shared by the batch), the compiler's INT8 Q K^T per
// block with K smoothing, and the logsumexp.
func.func @i8_channel_int8_qk(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xi8>,
                              %sv: tensor<1x?x?xf32> {attn.name = "sv"}) -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v v_scale(%sv : tensor<1x?x?xf32>) mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int8, q_block = 8, k_block = 4, smooth_k = true>)
       value_quantization(#attn.quantized_v<scheme = int8, per = channel>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xi8> -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

// FP8 e4m3 V, one scale per head and block of 3 keys; a window.
func.func @e4m3_blocks(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf8E4M3FN>,
                       %sv: tensor<1x?x?xf32> {attn.name = "sv"}) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v v_scale(%sv : tensor<1x?x?xf32>) mask(#attn.window<left = 9, right = 2>)
       value_quantization(#attn.quantized_v<scheme = fp8_e4m3, per = token, block = 3>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf8E4M3FN> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// An INT8 KV cache against a bf16 query (keys_only; e5m2 values per
// channel), bf16 output, GQA, causal.
func.func @kv_cache_bf16(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xi8>, %v: tensor<?x?x?x?xf8E5M2>,
                         %sk: tensor<?x?x?xf32> {attn.name = "sk"},
                         %sv: tensor<?x?x?xf32> {attn.name = "sv"}) -> tensor<?x?x?x?xbf16> {
  %o = attn.attention %q, %k, %v k_scale(%sk : tensor<?x?x?xf32>) v_scale(%sv : tensor<?x?x?xf32>) mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int8, keys_only = true>)
       value_quantization(#attn.quantized_v<scheme = fp8_e5m2, per = channel>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xi8>, tensor<?x?x?x?xf8E5M2> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
