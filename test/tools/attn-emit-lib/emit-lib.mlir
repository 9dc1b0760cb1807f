// attn-emit-lib writes, per spec, the PTX of each architecture, a cubin when
// ptxas is there, a typed C header and a CUDA driver API launcher.
// RUN: rm -rf %t && attn-emit-lib %s --shape 2,4,2,100,77,64 --arch sm_80,sm_90 -o %t --resource-usage > %t.out
// RUN: FileCheck %s --check-prefix=EMIT < %t.out
// RUN: %if ptxas %{ FileCheck %s --check-prefix=RESOURCES < %t.out %}
// RUN: FileCheck %s --check-prefix=HEADER < %t/causal_gqa.h
// RUN: FileCheck %s --check-prefix=LAUNCHER < %t/causal_gqa.c
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/causal_gqa.json
// RUN: FileCheck %s --check-prefix=PTX80 < %t/causal_gqa.sm_80.ptx
// RUN: FileCheck %s --check-prefix=PTX90 < %t/causal_gqa.sm_90.ptx
// RUN: %if ptxas %{ test -s %t/causal_gqa.sm_80.cubin && test -s %t/causal_gqa.sm_90.cubin %}
// f16: tensor cores by default (mma.sync in the PTX); --tensor-cores=false
// gives the SIMT kernel with its f32 tiles.
// RUN: FileCheck %s --check-prefix=MMA < %t/causal_gqa.sm_80.ptx
// RUN: attn-emit-lib %s --shape 2,4,2,100,77,64 --arch sm_80 --tensor-cores=false -o %t/simt | FileCheck %s --check-prefix=SIMT
// RUN: not grep mma.sync %t/simt/causal_gqa.sm_80.ptx
// --async-copies=false: single K/V buffers filled by loads and stores, no
// cp.async in the PTX, no alignment requirement in the launcher.
// RUN: attn-emit-lib %s --shape 2,4,2,100,77,64 --arch sm_80 --async-copies=false -o %t/sync | FileCheck %s --check-prefix=SYNC
// RUN: not grep cp.async %t/sync/causal_gqa.sm_80.ptx
// RUN: not grep aligned %t/sync/causal_gqa.c
// RUN: grep -q cp.async.wait_group %t/causal_gqa.sm_80.ptx
// Automatic tiles within the shared memory of the smallest --arch: two
// blocks per SM on sm_90 (115712 B), 99 KiB with sm_80; --max-shared-bytes
// overrides it (D = 192).
// RUN: attn-emit-lib %s --shape 1,4,2,256,256,192 --arch sm_90 -o %t/smem90 > /dev/null
// RUN: FileCheck %s --check-prefix=SMEM90 < %t/smem90/causal_gqa.h
// RUN: attn-emit-lib %s --shape 1,4,2,256,256,192 --arch sm_80,sm_90 -o %t/smem80 > /dev/null
// RUN: FileCheck %s --check-prefix=SMEM80 < %t/smem80/causal_gqa.h
// RUN: attn-emit-lib %s --shape 1,4,2,256,256,192 --arch sm_90 --max-shared-bytes=60000 -o %t/smem60k > /dev/null
// RUN: FileCheck %s --check-prefix=SMEM60K < %t/smem60k/causal_gqa.h
// --accumulator-fragments=false keeps O in shared memory.
// RUN: attn-emit-lib %s --shape 2,4,2,100,77,64 --arch sm_80 --accumulator-fragments=false -o %t/sharedo | FileCheck %s --check-prefix=SHAREDO
// SMEM90: _DYNAMIC_SHARED_BYTES 110864
// SMEM90-NEXT: _TILE_Q 64
// SMEM90-NEXT: _TILE_KV 16
// SMEM80: _DYNAMIC_SHARED_BYTES 71312
// SMEM80-NEXT: _TILE_Q 32
// SMEM80-NEXT: _TILE_KV 32
// SMEM60K: _DYNAMIC_SHARED_BYTES 42640
// SMEM60K-NEXT: _TILE_Q 32
// SMEM60K-NEXT: _TILE_KV 16
// SHAREDO: dynamic shared 60688 B
// --register-softmax=false keeps S and P in shared memory (f32 S, f16 P).
// RUN: attn-emit-lib %s --shape 2,4,2,100,77,64 --arch sm_80 --register-softmax=false -o %t/shareds | FileCheck %s --check-prefix=SHAREDS
// SHAREDS: dynamic shared 42256 B
// Errors: a dynamic spec needs --shape; a bad architecture.
// RUN: not attn-emit-lib %s --shape 2,4,3,100,77,64 -o %t/bad 2>&1 | FileCheck %s --check-prefix=BADSHAPE
// RUN: not attn-emit-lib %s --shape 2,4,2,100,77,64 --arch gfx90a -o %t/bad 2>&1 | FileCheck %s --check-prefix=BADARCH
// RUN: not attn-emit-lib %s --shape 2,4,2,100,77,64 --element-type f64 -o %t/bad 2>&1 | FileCheck %s --check-prefix=BADTYPE
// BADTYPE: attn-emit-lib: error: --element-type takes f16 or bf16, got 'f64'


// RESOURCES: causal_gqa sm_80: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B, shared 28432 B dynamic + 0 B static, block 128, grid 16, tiles 64x32, K/V copies async, softmax in registers
// RESOURCES: causal_gqa sm_90: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B, shared 28432 B dynamic
// EMIT: wrote {{.*}}/causal_gqa.{h,c,json} and 2 PTX{{.*}} image(s): grid 16, block 128, dynamic shared 28432 B

// MMA: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// MMA: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// SIMT: dynamic shared 66832 B
// SYNC: dynamic shared 19216 B

// HEADER:      q: f16[2][4][100][64]  (input, 16-byte aligned)
// HEADER:      k: f16[2][2][77][64]  (input, 16-byte aligned)
// HEADER:      v: f16[2][2][77][64]  (input, 16-byte aligned)
// HEADER:      out: f16[2][4][100][64]  (output)
// HEADER:      lse: f32[2][4][100]  (output)
// HEADER:      #ifndef ATTN_CAUSAL_GQA_H
// HEADER:      #include <cuda.h>
// HEADER:      #define ATTN_CAUSAL_GQA_GRID_X 16
// HEADER:      #define ATTN_CAUSAL_GQA_BLOCK_X 128
// HEADER:      #define ATTN_CAUSAL_GQA_DYNAMIC_SHARED_BYTES 28432
// HEADER:      #define ATTN_CAUSAL_GQA_KERNELS 1
// HEADER:      #define ATTN_CAUSAL_GQA_WORKSPACE_BYTES 0
// HEADER:      CUresult attn_causal_gqa_load(void);
// HEADER:      CUresult attn_causal_gqa_launch(CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, CUdeviceptr out, CUdeviceptr lse, CUstream stream);
// HEADER:      const char *attn_causal_gqa_last_error(void);

// MANIFEST:      "async_copies": true,
// MANIFEST:      "block": [
// MANIFEST-NEXT:   128,
// MANIFEST:      "buffers": [
// MANIFEST-NEXT:   {
// MANIFEST-NEXT:     "alignment": 16,
// MANIFEST-NEXT:     "element_type": "f16",
// MANIFEST-NEXT:     "name": "q",
// MANIFEST-NEXT:     "output": false,
// MANIFEST-NEXT:     "role": "query",
// MANIFEST-NEXT:     "shape": [
// MANIFEST-NEXT:       2,
// MANIFEST-NEXT:       4,
// MANIFEST-NEXT:       100,
// MANIFEST-NEXT:       64
// MANIFEST:          "name": "lse",
// MANIFEST-NEXT:     "output": true,
// MANIFEST-NEXT:     "role": "lse",
// MANIFEST:      "dynamic_shared_bytes": 28432,
// MANIFEST:      "grid": [
// MANIFEST-NEXT:   16,
// MANIFEST:      "images": {
// MANIFEST-NEXT:   "sm_80": {
// MANIFEST:          "ptx": "causal_gqa.sm_80.ptx"
// MANIFEST:      "kernels": [
// MANIFEST-NEXT:   {
// MANIFEST-NEXT:     "block": [
// MANIFEST:          "dynamic_shared_bytes": 28432,
// MANIFEST-NEXT:     "entry": "causal_gqa_kernel",
// MANIFEST-NEXT:     "grid": [
// MANIFEST-NEXT:       16,
// MANIFEST:        ],
// MANIFEST:      "launch": "attn_causal_gqa_launch",
// MANIFEST:      "problem": {
// MANIFEST-NEXT:   "b": 2,
// MANIFEST:      "register_softmax": true,
// MANIFEST:      "tensor_cores": true,
// MANIFEST-NEXT: "tile_kv": 32,
// MANIFEST-NEXT: "tile_q": 64,
// MANIFEST-NEXT: "unload": "attn_causal_gqa_unload",
// MANIFEST-NEXT: "workspace_bytes": 0

// LAUNCHER:      static const unsigned char attn_causal_gqa_ptx_sm_80[] = {
// LAUNCHER:      static const unsigned char attn_causal_gqa_ptx_sm_90[] = {
// LAUNCHER:      {80, attn_causal_gqa_ptx_sm_80},
// LAUNCHER-NEXT: {90, attn_causal_gqa_ptx_sm_90},
// LAUNCHER:      CUresult attn_causal_gqa_load(void) {
// LAUNCHER:        ATTN_CHECK(cuInit(0), "no usable CUDA driver or device");
// LAUNCHER:        ATTN_CHECK(cuDeviceGet(&dev, 0), "no CUDA device");
// LAUNCHER:        CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
// LAUNCHER:        r = cuModuleLoadDataEx(&attn_causal_gqa_module, attn_causal_gqa_images[best - 1].ptx, 2, opts, values);
// LAUNCHER:        ATTN_CHECK(cuModuleGetFunction(&attn_causal_gqa_functions[0], attn_causal_gqa_module, "causal_gqa_kernel"), NULL);
// LAUNCHER:        ATTN_CHECK(cuFuncSetAttribute(attn_causal_gqa_functions[0], CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 28432), NULL);
// LAUNCHER:      CUresult attn_causal_gqa_launch(
// Q, K and V are refused unless 16-byte aligned (cp.async of 8 f16).
// LAUNCHER:        if (q % 16 != 0) {
// LAUNCHER:          return CUDA_ERROR_INVALID_VALUE;
// LAUNCHER:        if (k % 16 != 0) {
// LAUNCHER:          return CUDA_ERROR_INVALID_VALUE;
// LAUNCHER:        if (v % 16 != 0) {
// The kernel parameters follow their first use in the kernel: the lse is
// written (per row) before the output.
// LAUNCHER:        void *k0_params[5] = {&q, &k, &v, &lse, &out};
// LAUNCHER:        ATTN_CHECK(cuLaunchKernel(attn_causal_gqa_functions[0], 16, 1, 1, 128, 1, 1, 28432, stream, k0_params, NULL), NULL);
// LAUNCHER-NOT:    cuLaunchKernel

// PTX80: .target sm_80
// PTX80: .extern .shared .align 16 .b8 __dynamic_shmem__0[];
// PTX80: .entry causal_gqa_kernel(
// PTX80-COUNT-5: .param .u64 .ptr .align 1 causal_gqa_kernel_param_
// PTX80: bar.sync
// PTX90: .target sm_90

// BADSHAPE: error: 'attn.attention' op
// BADARCH: error: --arch: unsupported GPU architecture 'gfx90a'

func.func @causal_gqa(%q: tensor<?x?x?x?xf16>, %k: tensor<?x?x?x?xf16>,
                      %v: tensor<?x?x?x?xf16>)
    -> (tensor<?x?x?x?xf16>, tensor<?x?x?xf32>) {
  %o, %l = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf16>, tensor<?x?x?x?xf16>, tensor<?x?x?x?xf16>
         -> tensor<?x?x?x?xf16>, tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf16>, tensor<?x?x?xf32>
}
