// attn-run says which vector width and tiles the tiled kernel
// (--tiled-kernel) ran, and a valid positive tile is never an error on any
// host: an explicit --vector-width is kept and the query tile rounded up to
// whole vectors; the automatic width is the host's, halved to 8 lanes when
// 16 does not divide --tile-q. (The tile program's bounds:
// tile-program-options.mlir.)

// RUN: attn-run %s --tiled-kernel --random 1 --shape 1,2,1,45,45,8 --tile-q 24 --check | FileCheck %s --check-prefix=AUTO24
// RUN: attn-run %s --tiled-kernel --random 1 --shape 1,2,1,45,45,8 --tile-q 40 --tile-kv 16 --check | FileCheck %s --check-prefix=AUTO40
// RUN: attn-run %s --tiled-kernel --random 1 --shape 1,2,1,45,45,8 --tile-q 12 --check | FileCheck %s --check-prefix=AUTO12
// RUN: attn-run %s --tiled-kernel --random 1 --shape 1,2,1,45,45,8 --vector-width 16 --tile-q 24 --check | FileCheck %s --check-prefix=W16
// RUN: attn-run %s --tiled-kernel --random 1 --shape 1,2,1,45,45,8 --vector-width 8 --check | FileCheck %s --check-prefix=W8
// RUN: attn-run %s --tiled-kernel --random 1 --shape 1,2,1,45,45,8 --vector-width 16 --check | FileCheck %s --check-prefix=W16D
// RUN: attn-run %s --random 1 --shape 1,2,1,45,45,8 --untiled --check | FileCheck %s --check-prefix=UNTILED
// RUN: not attn-run %s --tiled-kernel --random 1 --vector-width 12 2>&1 | FileCheck %s --check-prefix=BADW
// RUN: not attn-run %s --tiled-kernel --random 1 --tile-kv 0 2>&1 | FileCheck %s --check-prefix=BADKV
// RUN: not attn-run %s --tiled-kernel --random 1 --tile-kv 32768 2>&1 | FileCheck %s --check-prefix=BIGKV
// RUN: not attn-run %s --tiled-kernel --random 1 --tile-kv 9223372036854775806 2>&1 | FileCheck %s --check-prefix=HUGEKV
// RUN: not attn-run %s --tiled-kernel --random 1 --tile-q 100000000 2>&1 | FileCheck %s --check-prefix=BIGQ
// A big head dimension keeps its tile buffers on the heap (a 4 MiB Q^T
// tile once overflowed the worker's stack).
// RUN: attn-run %s --tiled-kernel --random 2 --shape 1,1,1,40,40,16384 --check | FileCheck %s --check-prefix=BIGD
// BIGKV: got tile-q 0, tile-kv 32768
// HUGEKV: got tile-q 0, tile-kv 9223372036854775806
// BIGQ: got tile-q 100000000, tile-kv 64
// BIGD: check output {{.*}} PASS

// AUTO24: kernel lanes 8  tile-q 24  tile-kv 64  bf16-dot off
// AUTO24: check output {{.*}} PASS
// AUTO40: kernel lanes 8  tile-q 40  tile-kv 16
// AUTO40: check output {{.*}} PASS
// AUTO12: kernel lanes 8  tile-q 16  tile-kv 64
// AUTO12: check output {{.*}} PASS
// W16: kernel lanes 16  tile-q 32  tile-kv 64
// W16: check output {{.*}} PASS
// W8: kernel lanes 8  tile-q 32  tile-kv 64
// W8: check output {{.*}} PASS
// W16D: kernel lanes 16  tile-q 64  tile-kv 64
// W16D: check output {{.*}} PASS
// UNTILED: path untiled
// UNTILED-NOT: kernel lanes
// UNTILED: check output {{.*}} PASS
// BADW: attn-run: error: vector width must be 0 (automatic), 4, 8 or 16 f32 lanes, got 12
// BADKV: attn-run: error: tile-q must be in [0, 1024] (0: automatic) and tile-kv in [1, 4096], got tile-q 0, tile-kv 0

func.func @causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
