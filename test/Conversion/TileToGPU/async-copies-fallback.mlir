// Where double-buffered asynchronous copies do not apply, the automatic
// configuration falls back to single buffers filled by loads and stores.
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(attn-to-tile{linear-chunk=0},convert-attn-tile-to-gpu))' | FileCheck %s

// An odd head dim in f16: no 4-byte piece divides it, so K and V are
// single-buffered and copied by loads and stores.
// CHECK-LABEL: func.func @odd_head_dim
// CHECK-NOT:     nvgpu.
// CHECK:         memref.alloc() : memref<64x24xf16, #gpu.address_space<workgroup>>
// CHECK-NOT:     nvgpu.
// CHECK:         attn.gpu.shared_bytes = {{[0-9]+}} : i64, attn.gpu.tensor_cores
func.func @odd_head_dim(%q: tensor<1x1x70x7xf16>) -> tensor<1x1x70x7xf16> {
  %o = attn.attention %q, %q, %q
       : tensor<1x1x70x7xf16>, tensor<1x1x70x7xf16>, tensor<1x1x70x7xf16> -> tensor<1x1x70x7xf16>
  return %o : tensor<1x1x70x7xf16>
}

// -----

// f32 with D = 520 (O too large for registers, 65 per thread): no tiles
// leave room for two K and V tiles (16x8 would need 133952 bytes), so the
// automatic choice falls back to single buffers (16x8, 100640 bytes)
// instead of failing.
// CHECK-LABEL: func.func @no_room_for_two
// CHECK-NOT:     nvgpu.
// CHECK-NOT:     attn.gpu.thread_private
// CHECK:         attn.gpu.shared_bytes = 100640 : i64, attn.gpu.threads = 128 : i64, attn.gpu.tile_kv = 8 : i64, attn.gpu.tile_q = 16 : i64
func.func @no_room_for_two(%q: tensor<1x1x20x520xf32>) -> tensor<1x1x20x520xf32> {
  %o = attn.attention %q, %q, %q
       : tensor<1x1x20x520xf32>, tensor<1x1x20x520xf32>, tensor<1x1x20x520xf32> -> tensor<1x1x20x520xf32>
  return %o : tensor<1x1x20x520xf32>
}
