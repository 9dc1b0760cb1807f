// attn-run says which vector width and tiles the tile program ran, and a
// valid positive tile is never an error on any host: an explicit
// --vector-width and --tile-q are kept (the automatic query tile is four
// vectors). (The tile program's bounds in detail:
// tile-program-options.mlir.)

// RUN: attn-run %s --random 1 --shape 1,2,1,45,45,8 --vector-width 8 --tile-q 24 --check | FileCheck %s --check-prefix=W8Q24
// RUN: attn-run %s --random 1 --shape 1,2,1,45,45,8 --vector-width 8 --tile-q 40 --tile-kv 16 --check | FileCheck %s --check-prefix=W8Q40
// RUN: attn-run %s --random 1 --shape 1,2,1,45,45,8 --vector-width 16 --tile-q 24 --check | FileCheck %s --check-prefix=W16Q24
// RUN: attn-run %s --random 1 --shape 1,2,1,45,45,8 --vector-width 8 --check | FileCheck %s --check-prefix=W8
// RUN: attn-run %s --random 1 --shape 1,2,1,45,45,8 --vector-width 16 --check | FileCheck %s --check-prefix=W16
// RUN: attn-run %s --random 1 --shape 1,2,1,45,45,8 --untiled --check | FileCheck %s --check-prefix=UNTILED
// RUN: not attn-run %s --random 1 --vector-width 12 2>&1 | FileCheck %s --check-prefix=BADW
// RUN: not attn-run %s --random 1 --tile-kv 0 2>&1 | FileCheck %s --check-prefix=BADKV
// RUN: not attn-run %s --random 1 --tile-kv 32768 2>&1 | FileCheck %s --check-prefix=BIGKV
// RUN: not attn-run %s --random 1 --tile-kv 9223372036854775806 2>&1 | FileCheck %s --check-prefix=HUGEKV
// RUN: not attn-run %s --random 1 --tile-q 100000000 2>&1 | FileCheck %s --check-prefix=BIGQ
// A big head dimension (tile buffers of megabytes per work item).
// RUN: attn-run %s --random 2 --shape 1,1,1,40,40,16384 --check | FileCheck %s --check-prefix=BIGD
// BIGKV: tile-program tiles must be in [1, 4096], got tile-q {{[0-9]+}}, tile-kv 32768
// HUGEKV: tile-program tiles must be in [1, 4096], got tile-q {{[0-9]+}}, tile-kv 9223372036854775806
// BIGQ: tile-program tiles must be in [1, 4096], got tile-q 100000000, tile-kv 64
// BIGD: check output {{.*}} PASS

// W8Q24: kernel lanes 8  tile-q 24  tile-kv 64  bf16-dot off
// W8Q24: check output {{.*}} PASS
// W8Q40: kernel lanes 8  tile-q 40  tile-kv 16
// W8Q40: check output {{.*}} PASS
// W16Q24: kernel lanes 16  tile-q 24  tile-kv 64
// W16Q24: check output {{.*}} PASS
// W8: kernel lanes 8  tile-q 32  tile-kv 64
// W8: check output {{.*}} PASS
// W16: kernel lanes 16  tile-q 64  tile-kv 64
// W16: check output {{.*}} PASS
// UNTILED: path untiled
// UNTILED-NOT: kernel lanes
// UNTILED: check output {{.*}} PASS
// BADW: attn-run: error: vector width must be 0 (automatic), 4, 8 or 16 f32 lanes, got 12
// BADKV: attn-run: error: tile-program tiles must be in [1, 4096], got tile-q {{[0-9]+}}, tile-kv 0

func.func @causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
