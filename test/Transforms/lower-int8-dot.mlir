// RUN: not attn-opt %s -split-input-file --attn-lower-int8-dot='int8-dot=vnni' 2>&1 | FileCheck %s --check-prefixes=VNNI,LANES
// RUN: attn-opt %s -split-input-file --attn-lower-int8-dot -canonicalize | FileCheck %s --check-prefix=EMU
// RUN: not attn-opt %s -split-input-file --attn-lower-int8-dot='int8-dot=avx' 2>&1 | FileCheck %s --check-prefix=OPTION

// attn_tile.dot_bytes (vpdpbusd's semantics) after bufferization: the
// AVX512-VNNI intrinsic per width, or portable vector code (the default).

// OPTION: error: attn-lower-int8-dot: int8-dot must be vnni or emulated, got 'avx'
// LANES: error: 'attn_tile.dot_bytes' op has no vpdpbusd form for 32 lanes (4, 8 or 16)

// VNNI-LABEL: func.func @dot512
// VNNI-SAME:    (%[[ACC:.*]]: vector<16xi32>, %[[U:.*]]: vector<64xi8>, %[[S:.*]]: vector<64xi8>)
// VNNI:         %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ACC]], %[[U]], %[[S]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// VNNI:         return %[[R]]
// Emulated: both operands as i32 lanes (4 bytes each, little-endian); per
// byte position t the unsigned byte by a logical shift right and a mask, the
// signed one by a shift to the top and an arithmetic shift right, multiplied
// and added: four times.
// EMU-LABEL: func.func @dot512
// EMU-SAME:    (%[[ACC:.*]]: vector<16xi32>, %[[U:.*]]: vector<64xi8>, %[[S:.*]]: vector<64xi8>)
// EMU-NOT:     llvm.call_intrinsic
// EMU-DAG:     %[[UW:.*]] = vector.bitcast %[[U]] : vector<64xi8> to vector<16xi32>
// EMU-DAG:     %[[SW:.*]] = vector.bitcast %[[S]] : vector<64xi8> to vector<16xi32>
// EMU-DAG:     %[[C255:.*]] = arith.constant dense<255> : vector<16xi32>
// EMU-DAG:     %[[C24:.*]] = arith.constant dense<24> : vector<16xi32>
// EMU:         %[[U0:.*]] = arith.andi %[[UW]], %[[C255]] : vector<16xi32>
// EMU:         %[[S0H:.*]] = arith.shli %[[SW]], %[[C24]] : vector<16xi32>
// EMU:         %[[S0:.*]] = arith.shrsi %[[S0H]], %[[C24]] : vector<16xi32>
// EMU:         %[[P0:.*]] = arith.muli %[[U0]], %[[S0]] : vector<16xi32>
// EMU:         %[[A0:.*]] = arith.addi %[[ACC]], %[[P0]] : vector<16xi32>
// EMU:         arith.shrui %[[UW]]
// EMU:         arith.addi %[[A0]]
// EMU:         arith.shrui %[[UW]]
// EMU:         arith.addi
// EMU:         %[[U3:.*]] = arith.shrui %[[UW]], %{{.*}} : vector<16xi32>
// EMU:         %[[S3:.*]] = arith.shrsi %[[SW]], %{{.*}} : vector<16xi32>
// EMU:         %[[P3:.*]] = arith.muli %[[U3]], %[[S3]] : vector<16xi32>
// EMU:         %[[A3:.*]] = arith.addi %{{.*}}, %[[P3]] : vector<16xi32>
// EMU:         return %[[A3]]
func.func @dot512(%acc: vector<16xi32>, %u: vector<64xi8>, %s: vector<64xi8>) -> vector<16xi32> {
  %0 = attn_tile.dot_bytes %acc, %u, %s : vector<64xi8> -> vector<16xi32>
  return %0 : vector<16xi32>
}

// -----

// VNNI-LABEL: func.func @dot256
// VNNI:         llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"({{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// EMU-LABEL: func.func @dot256
// EMU:         vector.bitcast %{{.*}} : vector<32xi8> to vector<8xi32>
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
