// A repeated --shape runs each problem size in turn (seeds SEED, SEED + 1,
// ...). Through the tile program (the default) one shape-generic
// compilation serves every size; the untiled baseline (--untiled) compiles
// per size (it specializes to the shapes).

// RUN: attn-run %zoo/hybrids/gemma2.mlir --tile-program --random 3 --shape default --shape 1,4,2,99,77,32 --shape 2,2,1,1,130,16,8 --check | FileCheck %s --check-prefix=GENERIC
// GENERIC: compile {{[0-9.]+}} s  one shape-generic kernel for 3 shapes
// GENERIC: shape B=2 Hq=4 Hkv=2 Nq=37 Nk=37 D=16 Dv=16
// GENERIC-NEXT: compile shared {{.*}}path tile program
// GENERIC-NEXT: kernel lanes {{[0-9]+}}  tile-q {{[0-9]+}}  tile-kv {{[0-9]+}}  bf16-dot {{off|native}}
// GENERIC-NEXT: check output {{.*}} PASS
// GENERIC: shape B=1 Hq=4 Hkv=2 Nq=99 Nk=77 D=32 Dv=32
// GENERIC-NEXT: compile shared {{.*}}path tile program
// GENERIC-NEXT: kernel lanes {{[0-9]+}}  tile-q {{[0-9]+}}  tile-kv {{[0-9]+}}  bf16-dot {{off|native}}
// GENERIC-NEXT: check output {{.*}} PASS
// GENERIC: shape B=2 Hq=2 Hkv=1 Nq=1 Nk=130 D=16 Dv=8
// GENERIC-NEXT: compile shared {{.*}}path tile program
// GENERIC-NEXT: kernel lanes {{[0-9]+}}  tile-q {{[0-9]+}}  tile-kv {{[0-9]+}}  bf16-dot {{off|native}}
// GENERIC-NEXT: check output {{.*}} PASS

// RUN: attn-run %zoo/hybrids/gemma2.mlir --random 3 --shape default --shape 1,4,2,99,77,32 --shape 2,2,1,1,130,16,8 --check | FileCheck %s --check-prefix=GENERIC
// RUN: attn-run %zoo/hybrids/gemma2.mlir --untiled --random 3 --shape 1,4,2,99,77,32 --shape default --check | FileCheck %s --check-prefix=UNTILED
// UNTILED-NOT: shape-generic
// UNTILED: shape B=1 Hq=4 Hkv=2 Nq=99 Nk=77
// UNTILED-NEXT: compile {{[0-9.]+}} s {{.*}}path untiled
// UNTILED: check output {{.*}} PASS
// UNTILED: shape B=2 Hq=4 Hkv=2 Nq=37 Nk=37
// UNTILED-NEXT: compile {{[0-9.]+}} s {{.*}}path untiled
// UNTILED: check output {{.*}} PASS

// RUN: not attn-run %zoo/hybrids/gemma2.mlir --shape default 2>&1 | FileCheck %s --check-prefix=NO-RANDOM
// NO-RANDOM: attn-run: error: --shape takes effect with --random only
// RUN: not attn-run %zoo/hybrids/gemma2.mlir --random 1 --shape default --shape default -o %t.npy 2>&1 | FileCheck %s --check-prefix=ONE-OUTPUT
// ONE-OUTPUT: attn-run: error: -o, --lse-out and --dump-inputs write one run's arrays: give one --shape with them
// RUN: not attn-run %zoo/hybrids/gemma2.mlir --random 1 --shape default --shape 1,2 2>&1 | FileCheck %s --check-prefix=BAD-SHAPE
// BAD-SHAPE: attn-run: error: --shape takes B,Hq,Hkv,Nq,Nk,D[,Dv] or default
