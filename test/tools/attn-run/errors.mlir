// Bad inputs to attn-run are diagnosed with a non-zero exit.

// RUN: not attn-run %s 2>&1 | FileCheck %s --check-prefix=NOINPUT
// NOINPUT: no input for argument 'q'

// RUN: not attn-run %s --random 1 --shape 1,3,2,8,8,4 2>&1 | FileCheck %s --check-prefix=GQA
// GQA: error: 'attn.attention' op query heads (3) must be a multiple of key/value heads (2)

// RUN: not attn-run %s --random 1 --shape 1,2,a,8,8,4 2>&1 | FileCheck %s --check-prefix=BADSHAPE
// BADSHAPE: --shape entries must be positive integers

// RUN: not attn-run %s --random 1 --shape 1,2,2,8 2>&1 | FileCheck %s --check-prefix=SHORTSHAPE
// SHORTSHAPE: --shape takes B,Hq,Hkv,Nq,Nk,D[,Dv]

// RUN: attn-run %s --random 5 --shape 1,2,2,8,8,4 --dump-inputs %t.
// RUN: not attn-run %s --q %t.q.npy --k %t.q.npy --v %t.v.npy --operand bogus=%t.v.npy 2>&1 | FileCheck %s --check-prefix=OPERAND
// OPERAND: the spec has no argument named 'bogus'; its arguments are: q k v

// RUN: not attn-run %s --q %t.q.npy --k %t.k.npy --v %t.missing.npy 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: missing.npy: cannot open

// A key with the wrong head_dim is caught by the verifier after binding shapes.
// RUN: attn-run %s --random 6 --shape 1,2,2,8,8,6 --dump-inputs %t.d6.
// RUN: not attn-run %s --q %t.q.npy --k %t.d6.k.npy --v %t.v.npy 2>&1 | FileCheck %s --check-prefix=DIM
// DIM: error: 'attn.attention' op key dimension 3 (head_dim of the query) is 6 but must be 4

// RUN: not attn-run %s --random 1 --element-type f64 2>&1 | FileCheck %s --check-prefix=ELEMTYPE
// ELEMTYPE: --element-type takes f16 or bf16, got 'f64'

// RUN: not attn-run %s --random 1 --entry nope 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: {{^}}{{.*}}errors.mlir:1:1: error: no function named 'nope'

func.func @causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// LLVM's unrelated --threads is refused rather than silently ignored (the
// worker threads are --num-threads).
// RUN: not attn-run %s --random 1 --threads 2 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS: attn-run: error: --threads is not an attn-run option; the worker threads are --num-threads

// Empty sequences are refused with a diagnostic (never an empty kernel).
// RUN: %numpy_python -c "import numpy as np; np.save('%t.q0.npy', np.zeros((1,2,4,8), np.float32)); np.save('%t.k0.npy', np.zeros((1,2,0,8), np.float32))"
// RUN: not attn-run %s --q %t.q0.npy --k %t.k0.npy --v %t.k0.npy 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: q, k and v must have non-zero extents, got q [1, 2, 4, 8], k [1, 2, 0, 8]
