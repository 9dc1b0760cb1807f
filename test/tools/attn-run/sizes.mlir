// Sizes are validated where they enter, before anything is allocated: a
// problem that cannot fit in memory, a default size that would not (a huge
// neighborhood grid with --random), a repeated operand.

// RUN: not attn-run %s --entry causal --random 1 --shape 100000,100000,1,1000,1000,64 2>&1 | FileCheck %s --check-prefix=HUGE
// HUGE: attn-run: error: the arrays of this problem need more than {{[0-9]+}} bytes (this machine's memory); the largest, argument 'q' of shape 100000x100000x1000x64, alone needs 2560000000000000 bytes

// RUN: not attn-run %s --entry causal --random 1 --shape 4611686018427387904,4,2,8,8,4 2>&1 | FileCheck %s --check-prefix=OVERFLOW
// OVERFLOW: attn-run: error: argument 'q' of shape 4611686018427387904x4x8x4 has more bytes than a 64-bit size can count

// RUN: not attn-run %s --entry grid --random 1 2>&1 | FileCheck %s --check-prefix=GRID
// GRID: attn-run: error: the arrays of this problem need more than

// RUN: attn-run %s --entry causal --random 5 --shape 1,2,2,8,8,4 --dump-inputs %t.
// RUN: not attn-run %s --entry causal --q %t.q.npy --k %t.k.npy --v %t.v.npy --operand q=%t.q.npy 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: attn-run: error: argument 'q' is given twice

func.func @causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A 1-D grid of 2^31 - 1 tokens: --random's default length.
func.func @grid(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [2147483647], kernel = [3]>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
