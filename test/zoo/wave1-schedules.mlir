// Zoo wave 1, schedules (ZOO.md X01): Rabe-Staats chunked exact attention,
// compiled with query/key chunk sizes that do not divide n (16 x 48 tiles)
// and with the untiled streaming lowering, checked against the reference.

// RUN: attn-run %zoo/schedules/rabe_staats.mlir --tile-q 16 --tile-kv 48 --random 1 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/schedules/rabe_staats.mlir --tile-q 16 --tile-kv 48 --random 2 --shape 1,2,1,100,130,16 --check | FileCheck %s
// RUN: attn-run %zoo/schedules/rabe_staats.mlir --random 3 --shape 1,2,1,100,100,16 --check | FileCheck %s
// RUN: attn-run %zoo/schedules/rabe_staats.mlir --untiled --random 4 --shape 2,4,2,77,77,16 --check | FileCheck %s

// CHECK: check output {{.*}} PASS
