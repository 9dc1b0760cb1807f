// A query tile that the vector width does not divide is rounded up to whole
// vectors (never an error): tile-q=12 at 8 lanes runs 16-query tiles, 24 at
// 16 lanes runs 32-query tiles.
// RUN: attn-opt %s --pass-pipeline='builtin.module(convert-attn-to-cpu{tile-q=12 tile-kv=16 vector-width=8 work-partition=1})' | FileCheck %s --check-prefix=W8
// RUN: attn-opt %s --pass-pipeline='builtin.module(convert-attn-to-cpu{tile-q=24 tile-kv=16 vector-width=16 work-partition=1})' | FileCheck %s --check-prefix=W16

// 40 queries: 3 tiles of 16 at 8 lanes, 2 tiles of 32 at 16 lanes.
// W8-LABEL: func.func @f
// W8-SAME:    attn.num_work_items = 3
// W8:         vector<8xf32>
// W16-LABEL: func.func @f
// W16-SAME:    attn.num_work_items = 2
// W16:        vector<16xf32>
func.func @f(%q: tensor<1x1x40x8xf32>, %k: tensor<1x1x40x8xf32>, %v: tensor<1x1x40x8xf32>) -> tensor<1x1x40x8xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x1x40x8xf32>, tensor<1x1x40x8xf32>, tensor<1x1x40x8xf32> -> tensor<1x1x40x8xf32>
  return %o : tensor<1x1x40x8xf32>
}
