// RUN: not attn-opt %s -split-input-file --attn-lower-int8-dot='int8-dot=vnni' 2>&1 | FileCheck %s --check-prefixes=VNNI,LANES
// RUN: attn-opt %s -split-input-file --attn-lower-int8-dot | FileCheck %s --check-prefix=EMU
// RUN: not attn-opt %s -split-input-file --attn-lower-int8-dot='int8-dot=avx' 2>&1 | FileCheck %s --check-prefix=OPTION

// attn_tile.dot_bytes (vpdpbusd's semantics) after bufferization: the
// AVX512-VNNI intrinsic per width, or portable vector code (the default).

// OPTION: error: attn-lower-int8-dot: int8-dot must be vnni or emulated, got 'avx'
// LANES: error: 'attn_tile.dot_bytes' op has no vpdpbusd form for 32 lanes (4, 8 or 16)

// VNNI-LABEL: func.func @dot512
// VNNI-SAME:    (%[[ACC:.*]]: vector<16xi32>, %[[U:.*]]: vector<64xi8>, %[[S:.*]]: vector<64xi8>)
// VNNI:         %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ACC]], %[[U]], %[[S]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// VNNI:         return %[[R]]
// Emulated: per byte position t, lanes' bytes t widened (unsigned x signed),
// multiplied and added: four times.
// EMU-LABEL: func.func @dot512
// EMU-SAME:    (%[[ACC:.*]]: vector<16xi32>, %[[U:.*]]: vector<64xi8>, %[[S:.*]]: vector<64xi8>)
// EMU-NOT:     llvm.call_intrinsic
// EMU:         %[[U0:.*]] = vector.shuffle %[[U]], %[[U]] [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60]
// EMU:         %[[UW:.*]] = arith.extui %[[U0]] : vector<16xi8> to vector<16xi32>
// EMU:         %[[S0:.*]] = vector.shuffle %[[S]], %[[S]] [0, 4, 8
// EMU:         %[[SW:.*]] = arith.extsi %[[S0]] : vector<16xi8> to vector<16xi32>
// EMU:         %[[P:.*]] = arith.muli %[[UW]], %[[SW]] : vector<16xi32>
// EMU:         %[[A0:.*]] = arith.addi %[[ACC]], %[[P]] : vector<16xi32>
// EMU:         vector.shuffle %[[U]], %[[U]] [1, 5, 9
// EMU:         vector.shuffle %[[U]], %[[U]] [2, 6, 10
// EMU:         vector.shuffle %[[U]], %[[U]] [3, 7, 11
// EMU:         %[[A3:.*]] = arith.addi
// EMU:         return %[[A3]]
func.func @dot512(%acc: vector<16xi32>, %u: vector<64xi8>, %s: vector<64xi8>) -> vector<16xi32> {
  %0 = attn_tile.dot_bytes %acc, %u, %s : vector<64xi8> -> vector<16xi32>
  return %0 : vector<16xi32>
}

// -----

// VNNI-LABEL: func.func @dot256
// VNNI:         llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"({{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// EMU-LABEL: func.func @dot256
// EMU:         vector.shuffle {{.*}} [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
func.func @dot256(%acc: vector<8xi32>, %u: vector<32xi8>, %s: vector<32xi8>) -> vector<8xi32> {
  %0 = attn_tile.dot_bytes %acc, %u, %s : vector<32xi8> -> vector<8xi32>
  return %0 : vector<8xi32>
}

// -----

// 32 lanes: no vpdpbusd form (the emulation takes any width).
func.func @dot1024(%acc: vector<32xi32>, %u: vector<128xi8>, %s: vector<128xi8>) -> vector<32xi32> {
  %0 = attn_tile.dot_bytes %acc, %u, %s : vector<128xi8> -> vector<32xi32>
  return %0 : vector<32xi32>
}
