// Zoo Q02, SageAttention2 (zoo/quantization/sageattention2.mlir): INT4
// Q K^T with Q and K smoothing and FP8 e4m3 P V, bf16 in. Checked against
// the float64 reference of the quantized math: it rounds the weights with
// each row's final max, the kernel with each key tile's running max, so
// attn-run judges the output by the reference's derived P V bound (plus
// the bf16 tolerance) rather than the plain relative error; one key tile
// (tile-kv >= Nk) makes the two roundings equal, and the plain check must
// pass too. Lengths not multiples of the blocks or tiles, GQA, a decode
// step, the portable lowering alone and split-KV.

// RUN: attn-run %zoo/quantization/sageattention2.mlir --random 1 --tile-program --shape 1,2,2,200,200,64 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sageattention2.mlir --random 2 --tile-program --shape 2,4,2,37,45,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sageattention2.mlir --random 3 --tile-program --shape 1,2,1,1,300,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sageattention2.mlir --random 4 --tile-program --portable-tiles --tile-q 16 --tile-kv 24 --shape 1,2,1,150,70,16 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sageattention2.mlir --random 5 --tile-program --split-kv 3 --shape 1,2,2,130,257,32 --check | FileCheck %s
// RUN: attn-run %zoo/quantization/sageattention2.mlir --random 6 --tile-program --portable-tiles --tile-q 16 --tile-kv 256 --shape 1,2,2,100,200,64 --check | FileCheck %s --check-prefix=ONE

// CHECK: path tile program
// CHECK: check output within the quantized P V bound: {{.*}} PASS
// ONE: check output max_abs_err {{.*}} PASS
// ONE: check output within the quantized P V bound: {{.*}} PASS

// The old lowerings refuse it with a located diagnostic.
// RUN: not attn-run %zoo/quantization/sageattention2.mlir --random 1 --untiled 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: sageattention2.mlir":{{[0-9]+}}:{{[0-9]+}}): 'attn.attention' op declares quantized Q K^T (#attn.quantized_qk): quantization is lowered through the tile program only
