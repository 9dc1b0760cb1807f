// Zoo wave 1, score modifications and biases (ZOO.md S01-S04, S06, S07, S09,
// S10; S08 is not yet expressible, see docs/zoo.md): every spec checked
// against the float64 reference at two sizes, one not a multiple of the
// 32 x 64 tiles, through the tile program, the default lowering (weight_mod
// included; `path tile program` asserts no op fell back).

// S01 FlashBias (q' = [q/sqrt(d), u], k' = [k, w]: D = d + R).
// RUN: attn-run %zoo/score_mods/flashbias.mlir --random 1 --shape 2,4,2,77,77,18 --check | FileCheck %s
// RUN: attn-run %zoo/score_mods/flashbias.mlir --random 2 --shape 1,2,1,100,130,20 --check | FileCheck %s
// S02 ZeroTuning (per-head log gamma on column 0).
// RUN: attn-run %zoo/score_mods/zerotuning.mlir --random 3 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/score_mods/zerotuning.mlir --random 4 --shape 1,2,1,300,300,16 --check | FileCheck %s
// S03 RCMHA (Transformer-XL relative term gathered by distance; the second
// size has a memory of 55 cached keys).
// RUN: attn-run %zoo/score_mods/rcmha.mlir --random 5 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/score_mods/rcmha.mlir --random 6 --shape 1,2,1,45,100,16 --check | FileCheck %s
// S04 Selective attention (per-query temperature).
// RUN: attn-run %zoo/score_mods/selective_attention.mlir --random 7 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/score_mods/selective_attention.mlir --random 8 --shape 1,2,1,300,300,16 --check | FileCheck %s
// S06 Luong local-p (window around a real centre, Gaussian weight_mod).
// RUN: attn-run %zoo/score_mods/luong.mlir --random 9 --shape 2,4,2,77,50,16 --check | FileCheck %s
// RUN: attn-run %zoo/score_mods/luong.mlir --random 10 --shape 1,2,1,100,130,16 --check | FileCheck %s
// S07 Neural attention (MLP scorer, d_head 64).
// RUN: attn-run %zoo/score_mods/neural_attention.mlir --random 11 --shape 2,4,4,77,77,64 --check | FileCheck %s
// RUN: attn-run %zoo/score_mods/neural_attention.mlir --random 12 --shape 1,2,2,200,200,64 --check | FileCheck %s
// S09 AFA, isotropic (reconstructed log-weights).
// RUN: attn-run %zoo/score_mods/afa.mlir --random 13 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/score_mods/afa.mlir --random 14 --shape 1,2,1,100,160,16 --check | FileCheck %s
// S10 Tensor attention (Nk = n^2 materialized key pairs).
// RUN: attn-run %zoo/score_mods/tensor_attention.mlir --random 15 --shape 1,2,2,20,400,16 --check | FileCheck %s
// RUN: attn-run %zoo/score_mods/tensor_attention.mlir --random 16 --shape 1,2,1,77,49,16 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS
