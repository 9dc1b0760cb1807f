// Zoo wave 2, attention over pooled tokens whose pooling is the caller's
// (ZOO.md P11 Agent Attention's two softmax attentions, P12 S2AFormer's
// attention over downsampled K/V with d_qk != d_v): each spec checked
// against the float64 reference at two sizes, one not a multiple of the
// tiles, GQA, one query token.

// Agent Attention, aggregation: 49 agents (queries) over N tokens, bias
// [1, Hq, 49, N].
// RUN: attn-run %zoo/selection/agent_aggregate.mlir --random 1 --tile-program --shape 1,2,2,49,196,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/agent_aggregate.mlir --random 2 --tile-program --shape 2,4,2,64,256,16 --check | FileCheck %s
// Agent Attention, broadcast: N tokens (queries) over 49 agents, bias
// [1, Hq, N, 49].
// RUN: attn-run %zoo/selection/agent_broadcast.mlir --random 3 --tile-program --shape 1,2,2,196,49,32 --check | FileCheck %s
// RUN: attn-run %zoo/selection/agent_broadcast.mlir --random 4 --tile-program --shape 2,4,4,256,64,16 --check | FileCheck %s
// RUN: attn-run %zoo/selection/agent_broadcast.mlir --random 5 --tile-program --shape 1,2,2,1,49,16 --check | FileCheck %s

// S2AFormer: N queries over N / r^2 pooled keys and values (r = 2),
// d_qk = 16 < d_v = 48.
// RUN: attn-run %zoo/selection/s2aformer.mlir --random 6 --tile-program --shape 1,2,2,196,49,16,48 --check | FileCheck %s
// RUN: attn-run %zoo/selection/s2aformer.mlir --random 7 --tile-program --shape 2,4,4,256,64,32,64 --check | FileCheck %s
// RUN: attn-run %zoo/selection/s2aformer.mlir --random 8 --tile-program --shape 1,2,1,1,49,16,48 --check | FileCheck %s

// CHECK: path tile program
// CHECK: check output {{.*}} PASS
