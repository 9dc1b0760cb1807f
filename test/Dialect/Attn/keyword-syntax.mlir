// RUN: attn-opt %s -split-input-file | FileCheck %s
// RUN: not attn-opt %S/keyword-syntax-invalid.txt -split-input-file 2>&1 | FileCheck %S/keyword-syntax-invalid.txt --check-prefix=BAD

// Every attribute parameter can be written as `name = value`; the
// one-parameter attributes also take the short form `<value>`. Both spell the
// same attribute (printed in the short form).

// CHECK-LABEL: func.func @keyword_forms
// CHECK: mask(#attn.and<[#attn.or<[#attn.sinks<4>, #attn.prefix_lm<37>]>, #attn.or<[#attn.chunked<16>, #attn.dilated<2>]>, #attn.window<left = 3, right = 0>]>)
// CHECK-SAME: score_mods([#attn.softcap<5.000000e+01>])
// CHECK-SAME: normalization(<sigmoid, bias = -1.000000e+00>)
func.func @keyword_forms(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = attn.attention %q, %q, %q
       mask(#attn.and<[#attn.or<[#attn.sinks<count = 4>, #attn.prefix_lm<prefix = 37>]>,
                       #attn.or<[#attn.chunked<size = 16>, #attn.dilated<rate = 2>]>,
                       #attn.window<left = 3, right = 0>]>)
       score_mods([#attn.softcap<cap = 50.0>])
       normalization(#attn.normalize<kind = sigmoid, bias = -1.0>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}

// -----

// CHECK-LABEL: func.func @short_forms
// CHECK: mask(#attn.and<[#attn.or<[#attn.sinks<4>, #attn.prefix_lm<37>]>, #attn.or<[#attn.chunked<16>, #attn.dilated<2>]>, #attn.window<left = 3, right = 0>]>)
// CHECK-SAME: score_mods([#attn.softcap<5.000000e+01>])
func.func @short_forms(%q: tensor<1x2x64x16xf32>) -> tensor<1x2x64x16xf32> {
  %o = attn.attention %q, %q, %q
       mask(#attn.and<[#attn.or<[#attn.sinks<4>, #attn.prefix_lm<37>]>,
                       #attn.or<[#attn.chunked<16>, #attn.dilated<2>]>,
                       #attn.window<left = 3, right = 0>]>)
       score_mods([#attn.softcap<50.0>])
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o : tensor<1x2x64x16xf32>
}
