// Zoo wave 1, head structure (ZOO.md H01-H15): every spec checked against
// the float64 reference at two sizes, one not a multiple of the 32 x 64
// tiles, through the tile program, the default lowering (head maps, value
// head counts of their own and output gates included; `path tile program`
// asserts no op fell back).

// H01 MoH (per-token head gates, a quarter of them 0).
// RUN: attn-run %zoo/heads/moh.mlir --random 1 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/moh.mlir --random 2 --shape 1,6,2,200,200,16 --check | FileCheck %s
// H02 MoA heads (E experts over one shared K/V head, routing weights).
// RUN: attn-run %zoo/heads/moa_heads.mlir --random 3 --shape 2,8,1,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/moa_heads.mlir --random 4 --shape 1,4,1,100,130,16 --check | FileCheck %s
// H03 MAE (head gate 1 - r_h, broadcast over the queries).
// RUN: attn-run %zoo/heads/mae_h_minus_1.mlir --random 5 --shape 2,4,4,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/mae_h_minus_1.mlir --random 6 --shape 1,6,6,100,100,16 --check | FileCheck %s
// H04 SHRP (routing weights per token and head).
// RUN: attn-run %zoo/heads/shrp.mlir --random 7 --shape 2,4,4,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/shrp.mlir --random 8 --shape 1,6,6,100,100,16 --check | FileCheck %s
// H05 DHA (separate key and value maps; the second size has Hk = 3, Hv = 4).
// RUN: attn-run %zoo/heads/dha.mlir --random 9 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/dha.mlir --random 10 --shape 1,6,3,100,100,16 --check | FileCheck %s
// H06 SQA (symmetric and grouped reduced query heads).
// RUN: attn-run %zoo/heads/sqa.mlir --random 11 --shape 2,4,4,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/sqa.mlir --random 12 --shape 1,8,4,100,100,16 --check | FileCheck %s
// H07 KDGQA (per-batch query-head -> KV-head map, shared by K and V).
// RUN: attn-run %zoo/heads/kdgqa.mlir --random 13 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/kdgqa.mlir --random 14 --shape 2,6,3,100,100,16 --check | FileCheck %s
// H08 Sigma DiffQKV (Hk = 2, Hv = Hq - 2, d_v != d_qk).
// RUN: attn-run %zoo/heads/sigma_diffqkv.mlir --random 15 --shape 2,8,2,77,77,16,32 --check | FileCheck %s
// RUN: attn-run %zoo/heads/sigma_diffqkv.mlir --random 16 --shape 1,6,2,100,100,16,8 --check | FileCheck %s
// H09 KHA (attention after the caller's cross-head mixing).
// RUN: attn-run %zoo/heads/kha.mlir --random 17 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/kha.mlir --random 18 --shape 1,2,1,200,200,16 --check | FileCheck %s
// H10 MHE (attention after the caller's shared projection + head embeddings).
// RUN: attn-run %zoo/heads/mhe.mlir --random 19 --shape 2,4,4,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/mhe.mlir --random 20 --shape 1,2,2,200,200,16 --check | FileCheck %s
// H11 DAT relational heads (values with extra relation channels: Dv != D).
// RUN: attn-run %zoo/heads/dat_relational.mlir --random 21 --shape 2,4,2,77,77,16,48 --check | FileCheck %s
// RUN: attn-run %zoo/heads/dat_relational.mlir --random 22 --shape 1,2,1,200,200,16,40 --check | FileCheck %s
// H12 DaViT: spatial windows (grid width 14) and channel groups (C_g = 32
// channels as the sequence, N spatial tokens as the head dimension).
// RUN: attn-run %zoo/heads/davit.mlir --random 23 --shape 2,4,2,196,196,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/davit.mlir --random 24 --shape 1,2,1,98,98,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/davit_channel.mlir --random 25 --shape 2,3,3,32,32,77 --check | FileCheck %s
// RUN: attn-run %zoo/heads/davit_channel.mlir --random 26 --shape 1,3,3,32,32,196 --check | FileCheck %s
// H13 DuoAttention (retrieval/streaming flags per head; 600 tokens exceed
// the 64 + 256 streaming span).
// RUN: attn-run %zoo/heads/duo_attention.mlir --random 27 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/duo_attention.mlir --random 28 --shape 1,4,2,600,600,8 --check | FileCheck %s
// H14 CCA / CCGQA (attention in the compressed latent space, GQA).
// RUN: attn-run %zoo/heads/cca.mlir --random 29 --shape 2,4,2,77,77,16 --check | FileCheck %s
// RUN: attn-run %zoo/heads/cca.mlir --random 30 --shape 1,8,2,200,200,8 --check | FileCheck %s
// H15 MLA, absorbed form (MQA: one 576-wide key head, 512-wide values, bf16;
// prefill and a one-token decode step).
// RUN: attn-run %zoo/heads/mla.mlir --random 31 --shape 1,4,1,77,77,576,512 --check | FileCheck %s
// RUN: attn-run %zoo/heads/mla.mlir --random 32 --shape 1,2,1,1,100,576,512 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS
