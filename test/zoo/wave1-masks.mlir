// Zoo wave 1, masks (ZOO.md M01-M13): every spec compiled for the CPU
// (through the tile program, the default lowering) and checked against the float64
// reference at two sizes, one of them not a multiple of the 32 x 64 tiles.
// 2-D grids take N = rows * width of the spec's grid.

// M01 S2-Attention (block 128: the second size crosses blocks).
// RUN: attn-run %zoo/masks/s2_attention.mlir --random 1 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/s2_attention.mlir --random 2 --shape 1,4,4,700,700,16 --check | FileCheck %s
// M02 PowerAttention (block 64).
// RUN: attn-run %zoo/masks/power_attention.mlir --random 3 --shape 2,4,2,100,100,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/power_attention.mlir --random 4 --shape 1,2,1,700,700,16 --check | FileCheck %s
// M03 MoA (per-head spans drawn in [1, Nk]).
// RUN: attn-run %zoo/masks/moa_sparse.mlir --random 5 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/moa_sparse.mlir --random 6 --shape 1,4,2,300,300,16 --check | FileCheck %s
// M04 SinkLoRA (groups of 2048, shift 1024: seed 4 shifts head 1 only, and
// 1100 tokens cross the shifted group boundary at 1024).
// RUN: attn-run %zoo/masks/sinklora.mlir --random 7 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/sinklora.mlir --random 4 --shape 1,2,2,1100,1100,8 --check | FileCheck %s
// M05 AnchorAttention (sorted document ids).
// RUN: attn-run %zoo/masks/anchor_attention.mlir --random 9 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/anchor_attention.mlir --random 10 --shape 1,4,2,300,300,16 --check | FileCheck %s
// M06 Isolation attention (subject ids in [0, 3], extra reference keys).
// RUN: attn-run %zoo/masks/ir_isolation.mlir --random 11 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/ir_isolation.mlir --random 12 --shape 1,4,2,100,130,16 --check | FileCheck %s
// M07 STAtten (binary spikes, identity normalization, blocks of 128).
// RUN: attn-run %zoo/masks/statten.mlir --random 13 --shape 2,4,4,100,100,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/statten.mlir --random 14 --shape 1,2,2,512,512,16 --check | FileCheck %s
// M08 GNA (grid width 20).
// RUN: attn-run %zoo/masks/gna.mlir --random 15 --shape 2,4,2,180,180,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/gna.mlir --random 16 --shape 1,2,1,260,260,16 --check | FileCheck %s
// M09 NAT (grid width 14, rpb table).
// RUN: attn-run %zoo/masks/nat.mlir --random 17 --shape 2,4,2,196,196,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/nat.mlir --random 18 --shape 1,2,1,126,126,16 --check | FileCheck %s
// M10 Fused NA (grid width 15, dilation 2).
// RUN: attn-run %zoo/masks/fused_na.mlir --random 19 --shape 2,4,2,225,225,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/fused_na.mlir --random 20 --shape 1,2,1,210,210,16 --check | FileCheck %s
// M11 HaloNet (grid width 16, relative logits).
// RUN: attn-run %zoo/masks/halonet.mlir --random 21 --shape 2,4,2,208,208,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/halonet.mlir --random 22 --shape 1,2,1,256,256,16 --check | FileCheck %s
// M12 Twins-SVT: LSA (grid width 14, windows 7 x 7) and GSA (sub-sampled keys).
// RUN: attn-run %zoo/masks/twins.mlir --random 23 --shape 2,4,2,196,196,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/twins.mlir --random 24 --shape 1,2,1,98,98,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/twins_gsa.mlir --random 25 --shape 2,4,2,196,4,16 --check | FileCheck %s
// RUN: attn-run %zoo/masks/twins_gsa.mlir --random 26 --shape 1,2,1,100,25,16 --check | FileCheck %s
// M13 Radial attention (256 tokens per frame: 3 frames, so frame distance 2
// uses the 128-token window; then 4 frames, with a partial last tile).
// RUN: attn-run %zoo/masks/radial.mlir --random 27 --shape 1,1,1,520,520,8 --check | FileCheck %s
// RUN: attn-run %zoo/masks/radial.mlir --random 28 --shape 1,1,1,777,777,8 --check | FileCheck %s


// CHECK: path tile program
// CHECK: check output {{.*}} PASS
