// RUN: attn-opt %s -split-input-file -verify-diagnostics

// The diagnostics of attn_tile.block_rows, gather_rows and scatter_rows.

func.func @block_rows_extent(%m: tensor<8x4xi1>, %c: index) -> tensor<9xindex> {
  // expected-error @+1 {{rows extent 0 (9) does not match members extent 0 (8)}}
  %r, %n = attn_tile.block_rows %m column %c from %c : tensor<8x4xi1> -> tensor<9xindex>
  return %r : tensor<9xindex>
}

// -----

func.func @gather_needs_heads(%q: tensor<1x1x8x16xf32>, %r: tensor<?xindex>, %i: index) -> tensor<4x16xf32> {
  // expected-error @+1 {{takes a 4-D source with [batch, head] or a 1-D or 2-D source without, got rank 4 without [batch, head]}}
  %t = attn_tile.gather_rows %q rows %r[%i] count %i : tensor<1x1x8x16xf32>, tensor<?xindex> -> tensor<4x16xf32>
  return %t : tensor<4x16xf32>
}

// -----

func.func @gather_heads_on_rows(%q: tensor<8x16xf32>, %r: tensor<?xindex>, %i: index) -> tensor<4x16xf32> {
  // expected-error @+1 {{got rank 2 with [batch, head]}}
  %t = attn_tile.gather_rows %q[%i, %i] rows %r[%i] count %i : tensor<8x16xf32>, tensor<?xindex> -> tensor<4x16xf32>
  return %t : tensor<4x16xf32>
}

// -----

func.func @gather_width(%q: tensor<1x1x8x16xbf16>, %r: tensor<?xindex>, %i: index) -> tensor<4x8xf32> {
  // expected-error @+1 {{result extent 1 (8) does not match source extent 3 (16)}}
  %t = attn_tile.gather_rows %q[%i, %i] rows %r[%i] count %i : tensor<1x1x8x16xbf16>, tensor<?xindex> -> tensor<4x8xf32>
  return %t : tensor<4x8xf32>
}

// -----

func.func @gather_rank(%m: tensor<8xf32>, %r: tensor<?xindex>, %i: index) -> tensor<4x1xf32> {
  // expected-error @+1 {{result must have rank 1 for a source of rank 1, got 2}}
  %t = attn_tile.gather_rows %m rows %r[%i] count %i : tensor<8xf32>, tensor<?xindex> -> tensor<4x1xf32>
  return %t : tensor<4x1xf32>
}

// -----

func.func @scatter_rank(%t: tensor<4xf32>, %d: tensor<8x16xf32>, %r: tensor<?xindex>, %i: index) -> tensor<8x16xf32> {
  // expected-error @+1 {{tile rank (1) does not match dest rank (2)}}
  %o = attn_tile.scatter_rows %t into %d rows %r[%i] count %i : tensor<4xf32> into tensor<8x16xf32>, tensor<?xindex>
  return %o : tensor<8x16xf32>
}

// -----

func.func @scatter_width(%t: tensor<4x8xf32>, %d: tensor<8x16xf32>, %r: tensor<?xindex>, %i: index) -> tensor<8x16xf32> {
  // expected-error @+1 {{tile extent 1 (8) does not match dest extent 1 (16)}}
  %o = attn_tile.scatter_rows %t into %d rows %r[%i] count %i : tensor<4x8xf32> into tensor<8x16xf32>, tensor<?xindex>
  return %o : tensor<8x16xf32>
}

// -----

func.func @scatter_dest_rank(%t: tensor<4x2x2xf32>, %d: tensor<8x2x2xf32>, %r: tensor<?xindex>, %i: index) -> tensor<8x2x2xf32> {
  // expected-error @+1 {{dest must have rank 1 or 2, got 3}}
  %o = attn_tile.scatter_rows %t into %d rows %r[%i] count %i : tensor<4x2x2xf32> into tensor<8x2x2xf32>, tensor<?xindex>
  return %o : tensor<8x2x2xf32>
}
