// The generated launcher compiles as C99 and as C++ with the CUDA toolkit's
// cuda.h, links against the driver stub library, and without a GPU reports
// the failing driver call instead of crashing. Skipped (UNSUPPORTED) without
// the CUDA toolkit or a C compiler.
// REQUIRES: cuda-toolkit, cc
// RUN: rm -rf %t && attn-emit-lib %s --shape 1,2,2,70,70,32 --arch sm_80,sm_90 -o %t
// RUN: %cc -std=c99 -Wall -Wextra -Werror -I%cuda_root/include -c %t/sliding.c -o %t/sliding.o
// RUN: %if c++ %{ %cxx -x c++ -Wall -Wextra -Werror -I%cuda_root/include -fsyntax-only %t/sliding.c %}
// RUN: %cc -std=c99 -Wall -Werror -I%cuda_root/include -I%t '-DATTN_HEADER="sliding.h"' -DATTN_PREFIX=attn_sliding %S/Inputs/main.c %t/sliding.o -L%cuda_root/lib64/stubs -lcuda -o %t/main
// The stub is named libcuda.so; the loader asks for libcuda.so.1.
// RUN: mkdir -p %t/stub && ln -sf %cuda_root/lib64/stubs/libcuda.so %t/stub/libcuda.so.1
// RUN: env LD_LIBRARY_PATH=%t/stub %t/main | FileCheck %s
// CHECK: launch returned 34: attn_sliding: cuInit(0) failed: CUDA_ERROR_STUB_LIBRARY (the CUDA driver stub, not a driver) (34); no usable CUDA driver or device
// CHECK: misaligned launch returned 1: attn_sliding_launch: v (0x4) is not 16-byte aligned; the kernel copies it with cp.async

func.func @sliding(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                   %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal, #attn.window<left = 15, right = 0>]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
