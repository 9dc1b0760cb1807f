// --split-kv: a decode step (one query row, 4096 keys, 8 heads) as two
// kernels in one PTX image, the key splits' and their merge's, launched in
// order by one call that takes a workspace for the partial results
// (unnormalized O, row max and sum of each split: 32 splits of 8 rows). The
// query tile is the one row (tiles 1x32: the shared memory 63 padding rows
// would take goes to the key tile).
// RUN: rm -rf %t && attn-emit-lib %s --shape 1,8,8,1,4096,128 --split-kv 0 --arch sm_80,sm_90 -o %t --resource-usage > %t.out
// RUN: FileCheck %s --check-prefix=EMIT < %t.out
// RUN: %if ptxas %{ FileCheck %s --check-prefix=RESOURCES < %t.out %}
// RUN: FileCheck %s --check-prefix=HEADER < %t/decode.h
// RUN: FileCheck %s --check-prefix=LAUNCHER < %t/decode.c
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/decode.json
// RUN: FileCheck %s --check-prefix=PTX < %t/decode.sm_80.ptx
// The launcher compiles and, on the driver stub, refuses a missing
// workspace before any driver call.
// RUN: %if cuda-toolkit && cc %{ %cc -std=c99 -Wall -Wextra -Werror -I%cuda_root/include -c %t/decode.c -o %t/decode.o %}
// RUN: %if cuda-toolkit && cc %{ %cc -std=c99 -Wall -Werror -I%cuda_root/include -I%t '-DATTN_HEADER="decode.h"' -DATTN_PREFIX=attn_decode %S/Inputs/main_workspace.c %t/decode.o -L%cuda_root/lib64/stubs -lcuda -o %t/main %}
// RUN: %if cuda-toolkit && cc %{ mkdir -p %t/stub && ln -sf %cuda_root/lib64/stubs/libcuda.so %t/stub/libcuda.so.1 %}
// RUN: %if cuda-toolkit && cc %{ env LD_LIBRARY_PATH=%t/stub %t/main | FileCheck %s --check-prefix=STUB %}
// Bad values are refused where they enter.
// RUN: not attn-emit-lib %s --shape 1,8,8,1,4096,128 --split-kv -1 -o %t/bad 2>&1 | FileCheck %s --check-prefix=BAD

// EMIT: wrote {{.*}}/decode.{h,c,json} and 2 PTX + cubin image(s): grid 256, block 128, dynamic shared {{[0-9]+}} B, 2 kernels, workspace 133120 B, shape 1,8,8,1,4096,128,128
// RESOURCES: decode sm_80: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B, {{.*}}grid 256, tiles 1x32,
// RESOURCES: decode.1 sm_80: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B, {{.*}}grid 8,
// RESOURCES: decode sm_90: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B, {{.*}}grid 256, tiles 1x32,
// RESOURCES: decode.1 sm_90: registers {{[0-9]+}}, spill stores 0 B, spill loads 0 B, stack 0 B, {{.*}}grid 8,

// HEADER:      workspace: 133120 bytes of device memory, 256-byte aligned
// HEADER:      It enqueues 2 kernels on `stream`, in order
// HEADER:      #define ATTN_DECODE_GRID_X 256
// HEADER:      #define ATTN_DECODE_KERNELS 2
// HEADER:      #define ATTN_DECODE_WORKSPACE_BYTES 133120
// HEADER:      CUresult attn_decode_launch(CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, CUdeviceptr out, CUdeviceptr workspace, CUstream stream);

// LAUNCHER:      static CUfunction attn_decode_functions[2];
// LAUNCHER:      ATTN_CHECK(cuModuleGetFunction(&attn_decode_functions[0], attn_decode_module, "[[K0:decode_kernel[_0-9]*]]"), NULL);
// LAUNCHER:      ATTN_CHECK(cuModuleGetFunction(&attn_decode_functions[1], attn_decode_module, "[[K1:decode_kernel[_0-9]*]]"), NULL);
// LAUNCHER:      CUresult attn_decode_launch(
// LAUNCHER:        if (!workspace || workspace % 256 != 0) {
// The partial results, each 256-byte aligned in the order the kernels use
// them: the maxima and sums (32 x 8 floats, 1024 bytes each), then O
// (32 x 8 x 128 floats); both kernels read the same slices.
// LAUNCHER:        CUdeviceptr k0_ws{{[0-9]+}} = workspace + 0;
// LAUNCHER-NEXT:   CUdeviceptr k0_ws{{[0-9]+}} = workspace + 1024;
// LAUNCHER-NEXT:   CUdeviceptr k0_ws{{[0-9]+}} = workspace + 2048;
// LAUNCHER-NEXT:   void *k0_params[6] = {&q, &k, &v, &k0_ws{{[0-9]+}}, &k0_ws{{[0-9]+}}, &k0_ws{{[0-9]+}}};
// LAUNCHER-NEXT:   CUdeviceptr k1_ws0 = workspace + 0;
// LAUNCHER-NEXT:   CUdeviceptr k1_ws1 = workspace + 1024;
// LAUNCHER-NEXT:   CUdeviceptr k1_ws2 = workspace + 2048;
// LAUNCHER-NEXT:   void *k1_params[4] = {&k1_ws0, &k1_ws1, &k1_ws2, &out};
// LAUNCHER:        ATTN_CHECK(cuLaunchKernel(attn_decode_functions[0], 256, 1, 1, 128, 1, 1, {{[0-9]+}}, stream, k0_params, NULL), NULL);
// LAUNCHER-NEXT:   ATTN_CHECK(cuLaunchKernel(attn_decode_functions[1], 8, 1, 1, 128, 1, 1, {{[0-9]+}}, stream, k1_params, NULL), NULL);

// MANIFEST:      "kernels": [
// MANIFEST:          "entry": "[[E0:decode_kernel[_0-9]*]]",
// MANIFEST:          "entry": "[[E1:decode_kernel[_0-9]*]]",
// MANIFEST:      "workspace_bytes": 133120

// One image, both entries.
// PTX:       .entry decode_kernel(
// PTX:       .entry decode_kernel_{{[0-9]+}}(

// STUB: no workspace: 1: attn_decode_launch: the workspace (0x0) must be 133120 bytes, 256-byte aligned
// STUB: launch returned 34: attn_decode: cuInit(0) failed

// BAD: GPU key splits (split-kv) must be in [0, 1024] (0: automatic, 1: none), got -1

func.func @decode(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
