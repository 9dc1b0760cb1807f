// RUN: attn-opt %s --attn-gpu-widen-contractions | FileCheck %s

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>

// 16-bit operands, f32 accumulator: the operands are extended, the maps and
// the accumulator kept.
// CHECK-LABEL: func.func @mixed
// CHECK-SAME:    (%[[A:.*]]: vector<16x16xbf16>, %[[B:.*]]: vector<8x16xbf16>, %[[C:.*]]: vector<16x8xf32>)
// CHECK-DAG:     %[[EA:.*]] = arith.extf %[[A]] : vector<16x16xbf16> to vector<16x16xf32>
// CHECK-DAG:     %[[EB:.*]] = arith.extf %[[B]] : vector<8x16xbf16> to vector<8x16xf32>
// CHECK:         vector.contract {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %[[EA]], %[[EB]], %[[C]] : vector<16x16xf32>, vector<8x16xf32> into vector<16x8xf32>
func.func @mixed(%a: vector<16x16xbf16>, %b: vector<8x16xbf16>, %c: vector<16x8xf32>) -> vector<16x8xf32> {
  %d = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<16x16xbf16>, vector<8x16xbf16> into vector<16x8xf32>
  return %d : vector<16x8xf32>
}

// One element type: untouched.
// CHECK-LABEL: func.func @uniform
// CHECK-NOT:     arith.extf
// CHECK:         vector.contract
func.func @uniform(%a: vector<16x16xf32>, %b: vector<8x16xf32>, %c: vector<16x8xf32>) -> vector<16x8xf32> {
  %d = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<16x16xf32>, vector<8x16xf32> into vector<16x8xf32>
  return %d : vector<16x8xf32>
}
