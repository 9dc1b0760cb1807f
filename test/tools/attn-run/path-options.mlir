// Options of the tile program with the untiled lowering, the bf16-dot
// kernels with the untiled lowering or the portable tiles, two lowerings at
// once, and --tile-program=false (the removed tiled kernel's old switch) are
// refused by name (an option would be ignored).
// RUN: not attn-run %s --random=1 --untiled --portable-tiles 2>&1 | FileCheck %s --check-prefix=PORTABLE
// RUN: not attn-run %s --random=1 --untiled --split-kv=2 2>&1 | FileCheck %s --check-prefix=SPLIT
// RUN: not attn-run %s --random=1 --untiled --linear-chunk=16 2>&1 | FileCheck %s --check-prefix=CHUNK
// RUN: not attn-run %s --random=1 --untiled --int8-dot=emulated 2>&1 | FileCheck %s --check-prefix=INT8
// RUN: not attn-run %s --random=1 --untiled --bf16-dot=emulate 2>&1 | FileCheck %s --check-prefix=BF16
// RUN: not attn-run %s --random=1 --portable-tiles --bf16-dot=emulate 2>&1 | FileCheck %s --check-prefix=BF16-PORTABLE
// RUN: not attn-run %s --random=1 --tile-program --untiled 2>&1 | FileCheck %s --check-prefix=TWO-TP
// RUN: not attn-run %s --random=1 --tile-program=false 2>&1 | FileCheck %s --check-prefix=REMOVED
// RUN: not attn-run %s --random=1 --tiled-kernel 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: attn-run %s --random=1 --untiled --check | FileCheck %s --check-prefix=UNTILED
// RUN: attn-run %s --random=1 --check | FileCheck %s --check-prefix=DEFAULT
// PORTABLE: error: {{.*}}portable tiles apply to the tile program only
// SPLIT: error: {{.*}}split-kv applies to the tile program only
// CHUNK: error: {{.*}}linear-chunk applies to the tile program only
// INT8: error: {{.*}}int8-dot applies to the tile program only
// BF16: error: {{.*}}bf16-dot=on and bf16-dot=emulate apply to the tiled lowerings only
// BF16-PORTABLE: error: {{.*}}bf16-dot=on and bf16-dot=emulate need the vector kernels
// TWO-TP: error: --tile-program and --untiled select two lowerings: pass one
// REMOVED: error: --tile-program=false selected the monolithic tiled kernel, which was removed: the tile program (the default) replaces it; --untiled selects the untiled baseline
// UNKNOWN: Unknown command line argument '--tiled-kernel'
// UNTILED: path untiled
// UNTILED: check output {{.*}} PASS
// DEFAULT: path tile program
// DEFAULT: check output {{.*}} PASS
func.func @causal(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                  %v: tensor<1x2x20x16xf32>) -> tensor<1x2x20x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>
         -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}
