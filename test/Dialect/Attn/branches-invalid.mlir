// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Every diagnostic of the multi-branch ops: attn.merge, attn.gated_sum and
// attn.pool_blocks.

func.func @merge_one(%o1: tensor<1x2x8x4xf32>, %l1: tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.merge' op combines at least 2 branches, got 1}}
  %o = attn.merge %o1 lse(%l1 : tensor<1x2x8xf32>) : tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @merge_counts(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x8x4xf32>, %l1: tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.merge' op needs one logsumexp per branch output, got 2 outputs and 1 logsumexps}}
  %o = "attn.merge"(%o1, %o2, %l1) {operandSegmentSizes = array<i32: 2, 1>} : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @merge_element_type(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x8x4xbf16>, %l1: tensor<1x2x8xf32>, %l2: tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.merge' op branch output #1 has element type 'bf16' but the result has 'f32'}}
  %o = attn.merge %o1, %o2 lse(%l1, %l2 : tensor<1x2x8xf32>, tensor<1x2x8xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xbf16> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @merge_shape(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x9x4xf32>, %l1: tensor<1x2x8xf32>, %l2: tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.merge' op branch output #1 dimension 2 (queries) is 9 but must be 8}}
  %o = attn.merge %o1, %o2 lse(%l1, %l2 : tensor<1x2x8xf32>, tensor<1x2x8xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x9x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @merge_lse_rank(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x8x4xf32>, %l1: tensor<1x2x8xf32>, %l2: tensor<2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.merge' op logsumexp #1 must have rank 3 [batch, heads, queries], got rank 2}}
  %o = attn.merge %o1, %o2 lse(%l1, %l2 : tensor<1x2x8xf32>, tensor<2x8xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @merge_lse_extent(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x8x4xf32>, %l1: tensor<1x3x8xf32>, %l2: tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.merge' op logsumexp #0 dimension 1 (query heads) is 3 but must be 2}}
  %o = attn.merge %o1, %o2 lse(%l1, %l2 : tensor<1x3x8xf32>, tensor<1x2x8xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @merge_result_lse(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x8x4xf32>, %l1: tensor<1x2x8xf32>, %l2: tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.merge' op the merged logsumexp dimension 2 (queries) is 7 but must be 8}}
  %o, %l = attn.merge %o1, %o2 lse(%l1, %l2 : tensor<1x2x8xf32>, tensor<1x2x8xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>, tensor<1x2x7xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @merge_lse_type(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x8x4xf32>, %l1: tensor<1x2x8xf16>, %l2: tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.merge' op operand #2 must be variadic of ranked tensor of 32-bit float values}}
  %o = attn.merge %o1, %o2 lse(%l1, %l2 : tensor<1x2x8xf16>, tensor<1x2x8xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @gated_counts(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x8x4xf32>, %g1: tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.gated_sum' op needs one gate per branch output, got 2 outputs and 1 gates}}
  %o = "attn.gated_sum"(%o1, %o2, %g1) {operandSegmentSizes = array<i32: 2, 1>} : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @gated_one(%o1: tensor<1x2x8x4xf32>, %g1: tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.gated_sum' op combines at least 2 branches, got 1}}
  %o = attn.gated_sum %o1 gates(%g1 : tensor<1x2x8xf32>) : tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @gated_rank(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x8x4xf32>, %g1: tensor<1x2x8xf32>, %g2: tensor<2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.gated_sum' op gate #1 must have rank 3 [batch, heads, queries] or 4 [batch, heads, queries, value head dim], got rank 2}}
  %o = attn.gated_sum %o1, %o2 gates(%g1, %g2 : tensor<1x2x8xf32>, tensor<2x8xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @gated_extent(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x8x4xf32>, %g1: tensor<1x2x8xf32>, %g2: tensor<1x1x1x3xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.gated_sum' op gate #1 dimension 3 (value head dim) is 3 but must be 1 or 4}}
  %o = attn.gated_sum %o1, %o2 gates(%g1, %g2 : tensor<1x2x8xf32>, tensor<1x1x1x3xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @gated_integer(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x8x4xf32>, %g1: tensor<1x2x8xf32>, %g2: tensor<1x2x8xi32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.gated_sum' op gate #1 must have a floating-point element type, got 'i32'}}
  %o = attn.gated_sum %o1, %o2 gates(%g1, %g2 : tensor<1x2x8xf32>, tensor<1x2x8xi32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @gated_shape(%o1: tensor<1x2x8x4xf32>, %o2: tensor<1x2x8x5xf32>, %g1: tensor<1x2x8xf32>, %g2: tensor<1x2x8xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.gated_sum' op branch output #1 dimension 3 (value head dim) is 5 but must be 4}}
  %o = attn.gated_sum %o1, %o2 gates(%g1, %g2 : tensor<1x2x8xf32>, tensor<1x2x8xf32>) : tensor<1x2x8x4xf32>, tensor<1x2x8x5xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @pool_block_zero(%k: tensor<1x2x40x8xf32>) -> tensor<1x2x3x8xf32> {
  // expected-error @+1 {{'attn.pool_blocks' op block must be at least 1, got 0}}
  %p = attn.pool_blocks %k block(0) : tensor<1x2x40x8xf32> -> tensor<1x2x3x8xf32>
  return %p : tensor<1x2x3x8xf32>
}

// -----

func.func @pool_blocks_extent(%k: tensor<1x2x40x8xf32>) -> tensor<1x2x2x8xf32> {
  // expected-error @+1 {{'attn.pool_blocks' op the pooled result dimension 2 (blocks) is 2 but must be 3}}
  %p = attn.pool_blocks %k block(16) : tensor<1x2x40x8xf32> -> tensor<1x2x2x8xf32>
  return %p : tensor<1x2x2x8xf32>
}

// -----

func.func @pool_rank(%k: tensor<1x2x40x8xf32>) -> tensor<2x3x8xf32> {
  // expected-error @+1 {{'attn.pool_blocks' op the pooled result must have rank 4, got rank 3}}
  %p = attn.pool_blocks %k block(16) : tensor<1x2x40x8xf32> -> tensor<2x3x8xf32>
  return %p : tensor<2x3x8xf32>
}

// -----

func.func @pool_counts_shape(%k: tensor<1x2x40x8xf32>) -> tensor<1x2x3x8xf32> {
  // expected-error @+1 {{'attn.pool_blocks' op log_counts dimension 1 (broadcast) is 2 but must be 1}}
  %p, %c = attn.pool_blocks %k block(16) : tensor<1x2x40x8xf32> -> tensor<1x2x3x8xf32>, tensor<1x2x1x3xf32>
  return %p : tensor<1x2x3x8xf32>
}

// -----

func.func @pool_counts_rank(%k: tensor<1x2x40x8xf32>) -> tensor<1x2x3x8xf32> {
  // expected-error @+1 {{'attn.pool_blocks' op log_counts must have rank 4 [1, 1, 1, blocks] (a bias), got rank 1}}
  %p, %c = attn.pool_blocks %k block(16) : tensor<1x2x40x8xf32> -> tensor<1x2x3x8xf32>, tensor<3xf32>
  return %p : tensor<1x2x3x8xf32>
}

// -----

func.func @pool_integer(%k: tensor<1x2x40x8xf32>) -> tensor<1x2x3x8xi32> {
  // expected-error @+1 {{'attn.pool_blocks' op result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %p = attn.pool_blocks %k block(16) : tensor<1x2x40x8xf32> -> tensor<1x2x3x8xi32>
  return %p : tensor<1x2x3x8xi32>
}
