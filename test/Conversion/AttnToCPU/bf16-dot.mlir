// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(convert-attn-to-cpu{bf16-dot=1 tile-kv=7})' | FileCheck %s
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(convert-attn-to-cpu{bf16-dot=1 tile-q=32 vector-width=16})' | FileCheck %s --check-prefix=W16
// RUN: attn-opt %s -split-input-file --pass-pipeline='builtin.module(convert-attn-to-cpu{tile-kv=7})' | FileCheck %s --check-prefix=OFF
// RUN: not attn-opt %s -split-input-file --pass-pipeline='builtin.module(convert-attn-to-cpu{bf16-dot=1 vector-width=4})' 2>&1 | FileCheck %s --check-prefix=ERR

// bf16 Q, K, V with an odd head dimension (D = 5), an odd key tile (7) and
// 8 lanes (the 256-bit vdpbf16ps, avx512vl): Bq = 32 queries.
// Packed buffers (bf16 bit patterns as i16): Q^T pairs [ceil(5/2)][2 x 32],
// P^T pairs [ceil(7/2)][2 x 32], V pairs [ceil(7/2)][2 x Dv = 24].
// CHECK-LABEL: func.func @odd
// CHECK-DAG:     %[[QP:.*]] = memref.alloca() {alignment = 64 : i64} : memref<3x64xi16>
// CHECK-DAG:     %[[PP:.*]] = memref.alloca() {alignment = 64 : i64} : memref<4x64xi16>
// CHECK-DAG:     %[[VP:.*]] = memref.alloca() {alignment = 64 : i64} : memref<4x24xi16>
// No f32 copies of the K and V tiles on this path.
// CHECK-NOT:     memref.alloca() {{.*}}: memref<7x5xf32>
// Q^T packed once per work item: element (query i, dim d) at [d / 2, 2 i + d % 2].
// CHECK:         %[[QBITS:.*]] = arith.bitcast %{{.*}} : bf16 to i16
// CHECK:         %[[QZ:.*]] = arith.select %{{.*}}, %[[QBITS]], %c0_i16 : i16
// CHECK:         memref.store %[[QZ]], %[[QP]][%{{.*}}, %{{.*}}] : memref<3x64xi16>
// S^T micro-kernel over the full d-pairs (2 of them): (K[j,d], K[j,d+1])
// loaded as two bf16, broadcast as one i32, 3 key rows x 4 query vectors.
// CHECK:         scf.for %[[D2:.*]] = %{{.*}} to %c2{{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:           %[[KPAIR:.*]] = vector.load %{{.*}} : memref<1x1x29x5xbf16>, vector<2xbf16>
// CHECK:           %[[KI32:.*]] = vector.bitcast %[[KPAIR]] : vector<2xbf16> to vector<1xi32>
// CHECK:           %[[KS:.*]] = vector.extract %[[KI32]][0] : i32 from vector<1xi32>
// CHECK:           %[[KB:.*]] = vector.broadcast %[[KS]] : i32 to vector<8xi32>
// CHECK:           %[[K:.*]] = vector.bitcast %[[KB]] : vector<8xi32> to vector<16xbf16>
// CHECK:           %[[QI:.*]] = vector.load %[[QP]][%[[D2]], %{{.*}}] : memref<3x64xi16>, vector<16xi16>
// CHECK:           %[[Q:.*]] = vector.bitcast %[[QI]] : vector<16xi16> to vector<16xbf16>
// CHECK:           x86vector.avx512.dot %{{.*}}, %[[Q]], %[[K]] : vector<16xbf16> -> vector<8xf32>
// The last, odd d: the pair (K[j, 4], 0).
// CHECK:         %[[KLAST:.*]] = memref.load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %c4{{.*}}] : memref<1x1x29x5xbf16>
// CHECK:         %[[KLBITS:.*]] = arith.bitcast %[[KLAST]] : bf16 to i16
// CHECK:         vector.from_elements %[[KLBITS]], %{{.*}} : vector<2xi16>
// CHECK:         x86vector.avx512.dot
// Q was packed unscaled: the scores are scaled on the way out.
// CHECK:         %[[SCALED:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK:         vector.store %[[SCALED]], %{{.*}} : memref<7x32xf32>, vector<8xf32>
// P^T rounded to bf16 (vcvtneps2bf16) and interleaved in key pairs.
// CHECK:         %[[P0:.*]] = x86vector.avx512.cvt.packed.f32_to_bf16 %{{.*}} : vector<8xf32> -> vector<8xbf16>
// CHECK:         %[[P0I:.*]] = vector.bitcast %[[P0]] : vector<8xbf16> to vector<8xi16>
// CHECK:         %[[P1:.*]] = x86vector.avx512.cvt.packed.f32_to_bf16 %{{.*}} : vector<8xf32> -> vector<8xbf16>
// CHECK:         %[[P1I:.*]] = vector.bitcast %[[P1]] : vector<8xbf16> to vector<8xi16>
// CHECK:         %[[PI:.*]] = vector.interleave %[[P0I]], %[[P1I]] : vector<8xi16> -> vector<16xi16>
// CHECK:         vector.store %[[PI]], %[[PP]]
// The odd key tile: the last key pair is (P^T[6, :], 0).
// CHECK:         %[[PL:.*]] = vector.interleave %{{.*}}, %cst{{.*}} : vector<8xi16> -> vector<16xi16>
// CHECK:         vector.store %[[PL]], %[[PP]][%c3
// V pairs (V[j, c], V[j+1, c]) for ceil(cols / 2) key pairs, keys at or past
// cols zeroed; Dv = 12 is not a multiple of 8: element by element.
// CHECK:         scf.for
// CHECK:           arith.select %{{.*}}, %{{.*}}, %{{.*}} : i16
// CHECK:           memref.store %{{.*}}, %[[VP]]
// O^T micro-kernel: V pairs broadcast, P^T pairs loaded, alpha applied first.
// CHECK:         arith.mulf %{{.*}} : vector<8xf32>
// CHECK:         scf.for %[[J2:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK:           vector.load %[[VP]][%[[J2]], %{{.*}}] : memref<4x24xi16>, vector<2xi16>
// CHECK:           vector.broadcast %{{.*}} : i32 to vector<8xi32>
// CHECK:           %[[PVI:.*]] = vector.load %[[PP]][%[[J2]], %{{.*}}] : memref<4x64xi16>, vector<16xi16>
// CHECK:           %[[PV:.*]] = vector.bitcast %[[PVI]] : vector<16xi16> to vector<16xbf16>
// CHECK:           x86vector.avx512.dot %{{.*}}, %[[PV]], %{{.*}} : vector<16xbf16> -> vector<8xf32>

// 16 lanes: the 512-bit form.
// W16-LABEL: func.func @odd
// W16:         x86vector.avx512.dot %{{.*}} : vector<32xbf16> -> vector<16xf32>
// W16:         x86vector.avx512.cvt.packed.f32_to_bf16 %{{.*}} : vector<16xf32> -> vector<16xbf16>

// Without the option: K and V tiles widened to f32, FMAs.
// OFF-LABEL: func.func @odd
// OFF-NOT:     x86vector
// OFF:         memref.alloca() {{.*}}: memref<7x5xf32>
// OFF-NOT:     x86vector
// OFF:         math.fma
// OFF-NOT:     x86vector

// ERR: error: 'attn.attention' op bf16-dot needs vector-width 8 (avx512vl) or 16, got 4
func.func @odd(%q: tensor<1x2x37x5xbf16>, %k: tensor<1x1x29x5xbf16>, %v: tensor<1x1x29x12xbf16>) -> tensor<1x2x37x12xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x37x5xbf16>, tensor<1x1x29x5xbf16>, tensor<1x1x29x12xbf16> -> tensor<1x2x37x12xbf16>
  return %o : tensor<1x2x37x12xbf16>
}

// -----

// Dv a multiple of the lanes: V rows are packed as whole vectors, zeroed
// past the valid keys, and interleaved in key pairs.
// CHECK-LABEL: func.func @wide_v
// CHECK:         %[[V0:.*]] = vector.load %{{.*}} : memref<1x1x50x16xbf16>, vector<8xbf16>
// CHECK:         %[[V0I:.*]] = vector.bitcast %[[V0]] : vector<8xbf16> to vector<8xi16>
// CHECK:         %[[V0Z:.*]] = arith.select %{{.*}}, %[[V0I]], %{{.*}} : vector<8xi16>
// CHECK:         %[[V1:.*]] = vector.load %{{.*}} : memref<1x1x50x16xbf16>, vector<8xbf16>
// CHECK:         %[[V1I:.*]] = vector.bitcast %[[V1]] : vector<8xbf16> to vector<8xi16>
// CHECK:         %[[V1Z:.*]] = arith.select %{{.*}}, %[[V1I]], %{{.*}} : vector<8xi16>
// CHECK:         vector.interleave %[[V0Z]], %[[V1Z]] : vector<8xi16> -> vector<16xi16>
// W16-LABEL: func.func @wide_v
// W16:         vector.interleave %{{.*}}, %{{.*}} : vector<16xi16> -> vector<32xi16>
func.func @wide_v(%q: tensor<1x1x50x16xbf16>, %k: tensor<1x1x50x16xbf16>, %v: tensor<1x1x50x16xbf16>) -> tensor<1x1x50x16xbf16> {
  %o = attn.attention %q, %k, %v
       : tensor<1x1x50x16xbf16>, tensor<1x1x50x16xbf16>, tensor<1x1x50x16xbf16> -> tensor<1x1x50x16xbf16>
  return %o : tensor<1x1x50x16xbf16>
}

// -----

// f32 and f16 inputs keep the f32 micro-kernels under bf16-dot.
// CHECK-LABEL: func.func @f16
// CHECK-NOT:     x86vector
// CHECK:         math.fma
// CHECK-NOT:     x86vector
// CHECK:         return
func.func @f16(%q: tensor<1x1x20x8xf16>, %k: tensor<1x1x20x8xf16>, %v: tensor<1x1x20x8xf16>) -> tensor<1x1x20x8xf16> {
  %o = attn.attention %q, %k, %v
       : tensor<1x1x20x8xf16>, tensor<1x1x20x8xf16>, tensor<1x1x20x8xf16> -> tensor<1x1x20x8xf16>
  return %o : tensor<1x1x20x8xf16>
}
