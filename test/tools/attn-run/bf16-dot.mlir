// The tile program's bf16-dot kernels (vdpbf16ps) through attn-run, with the
// dot products emulated (runs on any x86-64 host), against the float64
// reference: GQA, an odd head dimension (the zero pad of the last pair),
// lengths that are not multiples of the tiles (an odd count of value rows
// in the last key tile), one query vector per tile at 8 lanes.
// RUN: attn-run %s --random=1 --bf16-dot=emulate --check | FileCheck %s
// RUN: attn-run %s --random=2 --bf16-dot=emulate --vector-width=8 --tile-q=8 --tile-kv=16 --num-threads=2 --check | FileCheck %s --check-prefix=W8
// RUN: attn-run %s --random=3 --bf16-dot=off --check | FileCheck %s --check-prefix=OFF
// CHECK: path tile program
// CHECK: kernel lanes {{8|16}}  tile-q {{[0-9]+}}  tile-kv {{[0-9]+}}  bf16-dot emulated
// CHECK: check output {{.*}} PASS
// W8: kernel lanes 8  tile-q 8  tile-kv 16  bf16-dot emulated
// W8: check output {{.*}} PASS
// OFF: bf16-dot off
// OFF: check output {{.*}} PASS
func.func @gqa(%q: tensor<1x4x77x15xbf16>, %k: tensor<1x2x77x15xbf16>,
               %v: tensor<1x2x77x24xbf16>) -> tensor<1x4x77x24xbf16> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x4x77x15xbf16>, tensor<1x2x77x15xbf16>, tensor<1x2x77x24xbf16>
         -> tensor<1x4x77x24xbf16>
  return %o : tensor<1x4x77x24xbf16>
}
