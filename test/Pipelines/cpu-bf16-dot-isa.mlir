// The tile program's bf16-dot kernels compiled for AVX512-BF16 targets, to
// assembly only (their numerics run in test/unit/NumericsTest.cpp, emulated
// everywhere and natively where the host has avx512bf16).
//
// 16 lanes: the 512-bit vdpbf16ps (avx512f + avx512bf16), and Sapphire
// Rapids; avx512bw and avx512vl for the masked loads of bf16 rows that the
// tile program's loads use with or without bf16-dot (every AVX512-BF16 CPU
// has them; vdpbf16ps alone needs avx512vl at 8 lanes only).
// RUN: attn-opt %s --attn-cpu-tile-vector='vector-width=16 tile-q=64 bf16-dot=1' \
// RUN:   | mlir-translate --mlir-to-llvmir -o %t.ll
// RUN: llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f,+avx512bw,+avx512vl,+avx512bf16 %t.ll -o - | FileCheck %s --check-prefix=ZMM
// RUN: llc -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=sapphirerapids %t.ll -o - | FileCheck %s --check-prefix=ZMM
// 8 lanes: the 256-bit form (avx512vl).
// RUN: attn-opt %s --attn-cpu-tile-vector='vector-width=8 bf16-dot=1' \
// RUN:   | mlir-translate --mlir-to-llvmir -o %t8.ll
// RUN: llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512vl,+avx512bw,+avx512bf16 %t8.ll -o - | FileCheck %s --check-prefix=YMM
// The intrinsic in the LLVM IR, whatever the target.
// RUN: FileCheck %s --check-prefix=IR < %t.ll
// Emulated: no AVX512-BF16 instruction left, plain AVX2 FMAs.
// RUN: attn-opt %s --attn-cpu-tile-vector='vector-width=8 bf16-dot=1 emulate-bf16-dot=1' \
// RUN:   | mlir-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx2,+fma -o - | FileCheck %s --check-prefix=EMU

// IR: call <16 x float> @llvm.x86.avx512bf16.dpbf16ps.512(<16 x float> %{{.*}}, <32 x bfloat> %{{.*}}, <32 x bfloat> %{{.*}})

// Q K^T: query pairs broadcast as 32-bit elements against key-pair vectors
// of the packed panel; P V: weight pairs broadcast against interleaved
// value pairs.
// ZMM:      vpbroadcastd {{.*}}, %zmm
// ZMM:      vdpbf16ps %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}
// ZMM:      vdpbf16ps %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}

// YMM:      vdpbf16ps %ymm{{[0-9]+}}, %ymm{{[0-9]+}}, %ymm{{[0-9]+}}

// EMU-NOT:  vdpbf16ps
// EMU:      vfmadd{{[0-9]+}}ps {{.*}}%ymm
// EMU-NOT:  vdpbf16ps
func.func @gqa(%q: tensor<1x4x100x64xbf16>, %k: tensor<1x2x100x64xbf16>, %v: tensor<1x2x100x64xbf16>) -> tensor<1x4x100x64xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x4x100x64xbf16>, tensor<1x2x100x64xbf16>, tensor<1x2x100x64xbf16> -> tensor<1x4x100x64xbf16>
  return %o : tensor<1x4x100x64xbf16>
}
