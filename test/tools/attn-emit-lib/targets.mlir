// GPU targets and options are validated where they enter, with a message
// and a non-zero exit: architectures older than sm_80 (sm_75 once died in
// instruction selection on cp.async), empty or unknown ones (an empty chip
// once segfaulted), out-of-range shared memory and thread counts. sm_100 and
// sm_120 get the PTX version they need (they once ended in an LLVM ERROR).

// RUN: not attn-emit-lib %s --arch sm_75 -o %t.d 2>&1 | FileCheck %s --check-prefix=OLD
// OLD: attn-emit-lib: error: --arch: GPU architecture 'sm_75' is older than sm_80, which the kernels need (cp.async, bf16 mma.sync); supported: sm_80, sm_86, sm_87, sm_89, sm_90, sm_90a, sm_100, sm_100a, sm_120, sm_120a
// RUN: not attn-emit-lib %s --arch sm_70 -o %t.d 2>&1 | FileCheck %s --check-prefix=OLD70
// OLD70: 'sm_70' is older than sm_80
// RUN: not attn-emit-lib %s --arch sm_80,sm_95 -o %t.d 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: attn-emit-lib: error: --arch: unsupported GPU architecture 'sm_95'
// RUN: not attn-emit-lib %s --arch , -o %t.d 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: attn-emit-lib: error: --arch names no architecture
// RUN: not attn-emit-lib %s --ptx-features=+sm_80 -o %t.d 2>&1 | FileCheck %s --check-prefix=FEATURES
// FEATURES: PTX features must name a PTX version (e.g. +ptx80), got '+sm_80'
// RUN: not attn-emit-lib %s --max-shared-bytes -5 -o %t.d 2>&1 | FileCheck %s --check-prefix=SHARED
// SHARED: attn-emit-lib: error: --max-shared-bytes must be >= 0 (0: per --arch), got -5
// RUN: not attn-emit-lib %s --max-shared-bytes 1000000 -o %t.d 2>&1 | FileCheck %s --check-prefix=SHAREDBIG
// SHAREDBIG: GPU shared memory per block must be in [1, 232448] bytes, got 1000000
// RUN: not attn-emit-lib %s --block-threads 100000000 -o %t.d 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS: GPU threads per block must be a positive multiple of 32 up to 1024, got 100000000
// RUN: not attn-emit-lib %s --block-threads 48 -o %t.d 2>&1 | FileCheck %s --check-prefix=THREADS48
// THREADS48: got 48
// --shape is parsed as attn-run parses it (attn::parseProblemSize).
// RUN: not attn-emit-lib %s --shape 1,2,0,8,8,4 -o %t.d 2>&1 | FileCheck %s --check-prefix=SHAPEZERO
// SHAPEZERO: attn-emit-lib: error: --shape entries must be positive integers, got '0'
// RUN: not attn-emit-lib %s --shape 1,2,2,8 -o %t.d 2>&1 | FileCheck %s --check-prefix=SHAPESHORT
// SHAPESHORT: attn-emit-lib: error: --shape takes B,Hq,Hkv,Nq,Nk,D[,Dv]

// The same through attn-opt's pipeline: a located error, never a crash.
// RUN: not attn-opt %s --attn-gpu-ptx="chip=sm_75" 2>&1 | FileCheck %s --check-prefix=OPT75
// OPT75: error: attn-gpu-ptx: GPU architecture 'sm_75' is older than sm_80
// RUN: not attn-opt %s --attn-gpu-ptx="chip=" 2>&1 | FileCheck %s --check-prefix=OPTEMPTY
// OPTEMPTY: error: attn-gpu-ptx: unsupported GPU architecture ''
// RUN: not attn-opt %s --attn-gpu-ptx="threads=100000000" 2>&1 | FileCheck %s --check-prefix=OPTTHREADS
// OPTTHREADS: error: attn-gpu-ptx: GPU threads per block must be a positive multiple of 32
// RUN: not attn-opt %s --attn-gpu-launch="max-shared-bytes=-5" 2>&1 | FileCheck %s --check-prefix=OPTSHARED
// OPTSHARED: error: attn-gpu-launch: GPU shared memory per block must be in [1, 232448] bytes, got -5

// sm_100 and sm_120: PTX 8.6 and 8.7, assembled by ptxas where present.
// RUN: attn-opt %s --attn-gpu-ptx="chip=sm_100" | FileCheck %s --check-prefix=SM100
// SM100: .version 8.6
// SM100: .target sm_100
// RUN: attn-opt %s --attn-gpu-ptx="chip=sm_120a" | FileCheck %s --check-prefix=SM120
// SM120: .version 8.7
// SM120: .target sm_120a
// RUN: %if ptxas %{ attn-emit-lib %s --arch sm_100,sm_120 -o %t.new | FileCheck %s --check-prefix=NEW %}
// NEW: 2 PTX + cubin image(s)

func.func @causal(%q: tensor<1x2x64x64xf16>, %k: tensor<1x2x64x64xf16>, %v: tensor<1x2x64x64xf16>) -> tensor<1x2x64x64xf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
      : tensor<1x2x64x64xf16>, tensor<1x2x64x64xf16>, tensor<1x2x64x64xf16> -> tensor<1x2x64x64xf16>
  return %o : tensor<1x2x64x64xf16>
}
