// The bf16-dot kernel compiled for AVX512-BF16 targets, to assembly only:
// this host has no avx512bf16, so nothing here runs the code (its numerics
// are tested through attn-emulate-bf16-dot in test/unit/NumericsTest.cpp).
//
// 16 lanes: the 512-bit vdpbf16ps (avx512f + avx512bf16), and Sapphire Rapids.
// RUN: attn-opt %s --pass-pipeline='builtin.module(convert-attn-to-cpu{bf16-dot=1 vector-width=16})' \
// RUN:   | attn-opt --attn-cpu | mlir-translate --mlir-to-llvmir -o %t.ll
// RUN: llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f,+avx512bf16 %t.ll -o - | FileCheck %s --check-prefix=ZMM
// RUN: llc -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=sapphirerapids %t.ll -o - | FileCheck %s --check-prefix=ZMM
// 8 lanes: the 256-bit form (avx512vl).
// RUN: attn-opt %s --pass-pipeline='builtin.module(convert-attn-to-cpu{bf16-dot=1 vector-width=8})' \
// RUN:   | attn-opt --attn-cpu | mlir-translate --mlir-to-llvmir -o %t8.ll
// RUN: llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512vl,+avx512bf16 %t8.ll -o - | FileCheck %s --check-prefix=YMM
// The intrinsics in the LLVM IR, whatever the target.
// RUN: FileCheck %s --check-prefix=IR < %t.ll
// Emulated: no AVX512-BF16 instruction left, plain AVX2 FMAs.
// RUN: attn-opt %s --pass-pipeline='builtin.module(convert-attn-to-cpu{bf16-dot=1 vector-width=8},attn-emulate-bf16-dot)' \
// RUN:   | attn-opt --attn-cpu | mlir-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx2,+fma -o - | FileCheck %s --check-prefix=EMU

// IR: call <16 x float> @llvm.x86.avx512bf16.dpbf16ps.512(<16 x float> %{{.*}}, <32 x bfloat> %{{.*}}, <32 x bfloat> %{{.*}})
// IR: call <16 x bfloat> @llvm.x86.avx512bf16.cvtneps2bf16.512(<16 x float>

// The S^T inner loop: K pairs broadcast from memory as 32-bit elements,
// query pairs loaded, 3 x 4 dot products.
// ZMM:      vbroadcastss {{.*}}, %zmm
// ZMM:      vdpbf16ps %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}
// ZMM:      vcvtneps2bf16 {{.*}}%ymm
// ZMM:      vdpbf16ps %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}

// YMM:      vdpbf16ps %ymm{{[0-9]+}}, %ymm{{[0-9]+}}, %ymm{{[0-9]+}}
// YMM:      vcvtneps2bf16{{y?}} {{.*}}%xmm

// The packing moves bf16 as i16: no bf16 select or shuffle is legalized
// through f32 with __truncsfbf2 calls (the JIT cannot resolve them).
// EMU-NOT:  vdpbf16ps
// EMU-NOT:  vcvtneps2bf16
// EMU-NOT:  __truncsfbf2
// EMU:      vfmadd{{[0-9]+}}ps {{.*}}%ymm
// EMU-NOT:  vdpbf16ps
// EMU-NOT:  vcvtneps2bf16
// EMU-NOT:  __truncsfbf2
func.func @gqa(%q: tensor<1x4x100x64xbf16>, %k: tensor<1x2x100x64xbf16>, %v: tensor<1x2x100x64xbf16>) -> tensor<1x4x100x64xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x4x100x64xbf16>, tensor<1x2x100x64xbf16>, tensor<1x2x100x64xbf16> -> tensor<1x4x100x64xbf16>
  return %o : tensor<1x4x100x64xbf16>
}
