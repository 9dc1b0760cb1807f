// Options of the tile program without --tile-program, and the tiled path's
// bf16 kernels with it, are refused by name (they would be ignored).
// RUN: not attn-run %s --random=1 --portable-tiles 2>&1 | FileCheck %s --check-prefix=PORTABLE
// RUN: not attn-run %s --random=1 --split-kv=2 2>&1 | FileCheck %s --check-prefix=SPLIT
// RUN: not attn-run %s --random=1 --linear-chunk=16 2>&1 | FileCheck %s --check-prefix=CHUNK
// RUN: not attn-run %s --random=1 --int8-dot=emulated 2>&1 | FileCheck %s --check-prefix=INT8
// RUN: not attn-run %s --random=1 --tile-program --bf16-dot=emulate 2>&1 | FileCheck %s --check-prefix=BF16
// PORTABLE: error: {{.*}}portable tiles apply to the tile program only
// SPLIT: error: {{.*}}split-kv applies to the tile program only
// CHUNK: error: {{.*}}linear-chunk applies to the tile program only
// INT8: error: {{.*}}int8-dot applies to the tile program only
// BF16: error: {{.*}}bf16-dot=on and bf16-dot=emulate apply to the tiled path only
func.func @causal(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x20x16xf32>,
                  %v: tensor<1x2x20x16xf32>) -> tensor<1x2x20x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>, tensor<1x2x20x16xf32>
         -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}
