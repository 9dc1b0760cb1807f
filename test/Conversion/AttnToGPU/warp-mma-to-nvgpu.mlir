// RUN: attn-opt %s -split-input-file -verify-diagnostics --attn-gpu-warp-mma-to-nvgpu | FileCheck %s

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>

// A marked loop is converted even though the function holds index
// arithmetic (arith.muli) that upstream's convert-vector-to-gpu would try,
// and fail, to convert.
// CHECK-LABEL: func.func @marked
// CHECK:         arith.muli
// CHECK:         scf.for
// CHECK:           nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK:           nvgpu.ldmatrix %{{.*}} {numTiles = 2 : i32, transpose = false}
// CHECK:           nvgpu.mma.sync
// CHECK:           vector.store
// CHECK:         } {attn.gpu.warp_mma}
// CHECK-NOT:     vector.contract
func.func @marked(%a: memref<32x24xf16, #gpu.address_space<workgroup>>,
                  %b: memref<16x24xf16, #gpu.address_space<workgroup>>,
                  %s: memref<32x18xf32, #gpu.address_space<workgroup>>,
                  %x: index) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %y = arith.muli %x, %c4 : index
  %zero = arith.constant 0.0 : f16
  %acc = arith.constant dense<0.0> : vector<16x8xf32>
  scf.for %t = %c0 to %c4 step %c1 {
    %r = affine.apply affine_map<(d0) -> ((d0 floordiv 2) * 16)>(%t)
    %n = affine.apply affine_map<(d0) -> ((d0 mod 2) * 8)>(%t)
    %ta = vector.transfer_read %a[%r, %c0], %zero {in_bounds = [true, true]} : memref<32x24xf16, #gpu.address_space<workgroup>>, vector<16x16xf16>
    %tb = vector.transfer_read %b[%n, %c0], %zero {in_bounds = [true, true]} : memref<16x24xf16, #gpu.address_space<workgroup>>, vector<8x16xf16>
    %d = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %ta, %tb, %acc : vector<16x16xf16>, vector<8x16xf16> into vector<16x8xf32>
    vector.transfer_write %d, %s[%r, %n] {in_bounds = [true, true]} : vector<16x8xf32>, memref<32x18xf32, #gpu.address_space<workgroup>>
  } {attn.gpu.warp_mma}
  return %y : index
}

// -----

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>

// A tile product outside a marked loop is never left to become scalar code.
func.func @unmarked(%ta: vector<16x16xf16>, %tb: vector<8x16xf16>, %acc: vector<16x8xf32>) -> vector<16x8xf32> {
  // expected-error @below {{warp-level tile product was not converted to nvgpu.mma.sync}}
  %d = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %ta, %tb, %acc : vector<16x16xf16>, vector<8x16xf16> into vector<16x8xf32>
  return %d : vector<16x8xf32>
}

// -----

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>

// bf16 operands are re-read as f16 through a second view of the same shared
// bytes: they must come from such a view.
func.func @bf16_not_a_view(%a: memref<16x24xbf16, #gpu.address_space<workgroup>>,
                           %b: memref<8x24xbf16, #gpu.address_space<workgroup>>,
                           %s: memref<16x8xf32, #gpu.address_space<workgroup>>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : bf16
  %acc = arith.constant dense<0.0> : vector<16x8xf32>
  scf.for %t = %c0 to %c1 step %c1 {
    %ta = vector.transfer_read %a[%c0, %c0], %zero {in_bounds = [true, true]} : memref<16x24xbf16, #gpu.address_space<workgroup>>, vector<16x16xbf16>
    %tb = vector.transfer_read %b[%c0, %c0], %zero {in_bounds = [true, true]} : memref<8x24xbf16, #gpu.address_space<workgroup>>, vector<8x16xbf16>
    // expected-error @below {{a bf16 tile product must read its operands from views of dynamic shared memory}}
    %d = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %ta, %tb, %acc : vector<16x16xbf16>, vector<8x16xbf16> into vector<16x8xf32>
    vector.transfer_write %d, %s[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x8xf32, #gpu.address_space<workgroup>>
  } {attn.gpu.warp_mma}
  return
}
