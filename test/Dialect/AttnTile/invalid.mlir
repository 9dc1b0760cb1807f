// RUN: attn-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of the attn_tile verifiers
// (lib/Dialect/AttnTile/AttnTileOps.cpp).

func.func @load_width(%k: tensor<1x1x8x64xf32>, %i: index) -> tensor<8x32xf32> {
  // expected-error @+1 {{result extent 1 (32) does not match source extent 3 (64)}}
  %t = attn_tile.load %k[%i, %i, %i] : tensor<1x1x8x64xf32> -> tensor<8x32xf32>
  return %t : tensor<8x32xf32>
}

// -----

func.func @scores_depth(%q: tensor<4x16xf32>, %k: tensor<8x32xf32>, %s: f32) -> tensor<4x8xf32> {
  // expected-error @+1 {{query extent 1 (16) does not match key extent 1 (32)}}
  %t = attn_tile.scores %q, %k scale %s : tensor<4x16xf32>, tensor<8x32xf32> -> tensor<4x8xf32>
  return %t : tensor<4x8xf32>
}

// -----

func.func @scores_shape(%q: tensor<4x16xf32>, %k: tensor<8x16xf32>, %s: f32) -> tensor<4x4xf32> {
  // expected-error @+1 {{result extent 1 (4) does not match key extent 0 (8)}}
  %t = attn_tile.scores %q, %k scale %s : tensor<4x16xf32>, tensor<8x16xf32> -> tensor<4x4xf32>
  return %t : tensor<4x4xf32>
}

// -----

func.func @rows(%s: tensor<4x8xf32>, %m: tensor<5xf32>) {
  // expected-error @+1 {{max extent 0 (5) does not match score tile extent 0 (4)}}
  %w, %m1, %l1, %a = attn_tile.online_update %s, %m, %m : tensor<4x8xf32>, tensor<5xf32>
  return
}

// -----

func.func @final_rows(%s: tensor<4x8xf32>, %m: tensor<5xf32>) {
  // expected-error @+1 {{max extent 0 (5) does not match score tile extent 0 (4)}}
  %w = attn_tile.final_weights %s, %m, %m : tensor<4x8xf32>, tensor<5xf32>
  return
}

// -----

func.func @pv(%w: tensor<4x8xf32>, %v: tensor<6x16xf32>, %acc: tensor<4x16xf32>) {
  // expected-error @+1 {{weights extent 1 (8) does not match value extent 0 (6)}}
  %r = attn_tile.accumulate %w, %v into %acc : tensor<4x8xf32>, tensor<6x16xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @pv_excluding(%w: tensor<4x8xf32>, %v: tensor<8x16xf32>, %acc: tensor<4x16xf32>, %m: tensor<4x7xf32>) {
  // expected-error @+1 {{masked scores must have the weights' type 'tensor<4x8xf32>', got 'tensor<4x7xf32>'}}
  %r = attn_tile.accumulate %w, %v into %acc excluding(%m : tensor<4x7xf32>) : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @pv_alpha(%w: tensor<4x8xf32>, %v: tensor<8x16xf32>, %acc: tensor<4x16xf32>, %a: tensor<3xf32>) {
  // expected-error @+1 {{rescale extent 0 (3) does not match accumulator extent 0 (4)}}
  %r = attn_tile.accumulate %w, %v into %acc rescale(%a : tensor<3xf32>) : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @finalize_shape(%acc: tensor<4x16xf32>, %m: tensor<4xf32>) {
  // expected-error @+1 {{result extent 1 (8) does not match accumulator extent 1 (16)}}
  %o = attn_tile.finalize %acc, %m, %m : tensor<4x16xf32>, tensor<4xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @gate_rank(%acc: tensor<4x16xf32>, %m: tensor<4xf32>, %g: tensor<4xf32>, %i: index) {
  // expected-error @+1 {{the gate must be a 3-D tensor [B|1, H|1, N|1]}}
  %o = attn_tile.finalize %acc, %m, %m gate(%g : tensor<4xf32> at %i, %i, %i, %i) : tensor<4x16xf32>, tensor<4xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @tiles(%n: index) {
  // expected-error @+1 {{tile sizes must be positive, got tile_q = 0, tile_kv = 8}}
  attn_tile.for_key_tiles keys(%n) queries(%n, %n) attributes {tile_q = 0 : i64, tile_kv = 8 : i64} {
  ^bb0(%k0: index, %p: i1):
    attn_tile.yield
  }
  return
}

// -----

func.func @body_args(%n: index, %x: tensor<4xf32>) {
  // expected-error @+1 {{body must take (index, i1) then the types of the iteration values}}
  %r = attn_tile.for_key_tiles keys(%n) queries(%n, %n) iter_args(%x : tensor<4xf32>) attributes {tile_q = 4 : i64, tile_kv = 8 : i64} {
  ^bb0(%k0: index, %p: i1):
    attn_tile.yield %x : tensor<4xf32>
  } -> tensor<4xf32>
  return
}

// -----

func.func @yield_types(%n: index, %x: tensor<4xf32>, %y: tensor<5xf32>) {
  %r = attn_tile.for_key_tiles keys(%n) queries(%n, %n) iter_args(%x : tensor<4xf32>) attributes {tile_q = 4 : i64, tile_kv = 8 : i64} {
  ^bb0(%k0: index, %p: i1, %a: tensor<4xf32>):
    // expected-error @+1 {{must yield the types of the iteration values}}
    attn_tile.yield %y : tensor<5xf32>
  } -> tensor<4xf32>
  return
}

// -----

func.func @mask_region(%s: tensor<4x8xf32>, %i: index, %p: i1) {
  // expected-error @+1 {{region 'mask_fn' must take 4 arguments (4 + 0 captures), got 3}}
  %r = attn_tile.mask %s at(%i, %i, %i, %i) lengths(%i, %i) heads %i partial %p mask_fn {
  ^bb0(%b: index, %h: index, %q: index):
    %t = arith.constant true
    attn.yield %t : i1
  } : tensor<4x8xf32>
  return
}

// -----

func.func @modify_region(%s: tensor<4x8xf32>, %i: index) {
  %r = attn_tile.modify %s at(%i, %i, %i, %i) lengths(%i, %i) heads %i score_mod {
  ^bb0(%x: f32, %b: index, %h: index, %q: index, %k: index):
    %c = arith.constant 1 : index
    // expected-error @+1 {{in region 'score_mod' must yield exactly one 'f32'}}
    attn.yield %c : index
  } : tensor<4x8xf32>
  return
}

// -----

func.func @weight_mod_region(%s: tensor<4x8xf32>, %i: index) {
  // expected-error @+1 {{region 'weight_mod' argument 1 must have type 'f32', got 'index'}}
  %r = attn_tile.weight_mod %s, %s at(%i, %i, %i, %i) lengths(%i, %i) {
  ^bb0(%w: f32, %raw: index, %b: index, %h: index, %q: index, %k: index):
    attn.yield %w : f32
  } : tensor<4x8xf32>
  return
}

// -----

func.func @context_op_outside(%i: index) -> index {
  // expected-error @+1 {{'attn.query_length' op expects parent op 'attn.attention' (or an attn_tile op carrying its regions)}}
  %n = attn.query_length : index
  return %n : index
}

// -----

func.func @merge_rows(%a: tensor<3x4x8xf32>, %m: tensor<3x5xf32>) {
  // expected-error @+1 {{accumulators extent 1 (4) does not match maxes extent 1 (5)}}
  %acc, %max, %sum = attn_tile.merge %a, %m, %m : tensor<3x4x8xf32>, tensor<3x5xf32> -> tensor<4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @merge_splits(%a: tensor<3x4x8xf32>, %m: tensor<2x4xf32>) {
  // expected-error @+1 {{accumulators extent 0 (3) does not match maxes extent 0 (2)}}
  %acc, %max, %sum = attn_tile.merge %a, %m, %m : tensor<3x4x8xf32>, tensor<2x4xf32> -> tensor<4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @layout_rank(%n: index, %l: tensor<4x4xi8>) {
  // expected-error @+1 {{the block layout must be a 4-D tensor, got 'tensor<4x4xi8>'}}
  attn_tile.for_key_tiles keys(%n) queries(%n, %n) layout(%l : tensor<4x4xi8> at %n, %n) attributes {tile_q = 4 : i64, tile_kv = 8 : i64} {
  ^bb0(%k0: index, %p: i1):
    attn_tile.yield
  }
  return
}

// -----

func.func @read_state_width(%fq: tensor<8x16xf32>, %s: tensor<12x4xf32>, %z: tensor<12xf32>, %x: f32, %n: index) {
  // expected-error @+1 {{query extent 1 (16) does not match state extent 0 (12)}}
  %acc, %sum = attn_tile.read_state %fq, %s, %z scale %x at %n length %n
      : tensor<8x16xf32>, tensor<12x4xf32>, tensor<12xf32> -> tensor<8x4xf32>, tensor<8xf32>
  return
}

// -----

func.func @read_state_rows(%fq: tensor<8x16xf32>, %s: tensor<16x4xf32>, %z: tensor<16xf32>, %x: f32, %n: index) {
  // expected-error @+1 {{accumulator extent 0 (4) does not match query extent 0 (8)}}
  %acc, %sum = attn_tile.read_state %fq, %s, %z scale %x at %n length %n
      : tensor<8x16xf32>, tensor<16x4xf32>, tensor<16xf32> -> tensor<4x4xf32>, tensor<8xf32>
  return
}

// -----

func.func @update_state_value(%s: tensor<16x4xf32>, %z: tensor<16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x5xf32>, %n: index) {
  // expected-error @+1 {{value extent 1 (5) does not match state extent 1 (4)}}
  %s2, %z2 = attn_tile.update_state %s, %z, %k, %v at %n length %n
      : tensor<16x4xf32>, tensor<16xf32>, tensor<8x16xf32>, tensor<8x5xf32>
  return
}

// -----

func.func @update_state_rows(%s: tensor<16x4xf32>, %z: tensor<16xf32>, %k: tensor<8x16xf32>, %v: tensor<7x4xf32>, %n: index) {
  // expected-error @+1 {{value extent 0 (7) does not match key extent 0 (8)}}
  %s2, %z2 = attn_tile.update_state %s, %z, %k, %v at %n length %n
      : tensor<16x4xf32>, tensor<16xf32>, tensor<8x16xf32>, tensor<7x4xf32>
  return
}

// -----

// A gate per key channel: a rank-2 prefix with one column per channel.
func.func @decay_prefix_rank(%a: tensor<?x?x?x?xf32>, %n: index) {
  // expected-error @+1 {{a rank-4 decay has a rank-2 prefix (one sum per key and channel)}}
  %c = attn_tile.decay_prefix %a[%n, %n] length %n : tensor<?x?x?x?xf32> -> tensor<?xf64>
  return
}

// -----

func.func @gated_scores_channels(%q: tensor<8x16xf32>, %k: tensor<4x16xf32>, %g: tensor<?x12xf64>, %x: f32, %n: index) {
  // expected-error @+1 {{prefix extent 1 (12) does not match key extent 1 (16)}}
  %s = attn_tile.gated_scores %q, %k, %g scale %x at(%n, %n) lengths(%n, %n)
      : tensor<8x16xf32>, tensor<4x16xf32>, tensor<?x12xf64> -> tensor<8x4xf32>
  return
}

// -----

func.func @update_state_channels(%s: tensor<16x4xf32>, %z: tensor<16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %g: tensor<?x8xf64>, %n: index) {
  // expected-error @+1 {{prefix extent 1 (8) does not match state extent 0 (16)}}
  %s2, %z2 = attn_tile.update_state %s, %z, %k, %v at %n length %n decay(%g : tensor<?x8xf64>)
      : tensor<16x4xf32>, tensor<16xf32>, tensor<8x16xf32>, tensor<8x4xf32>
  return
}

// -----

func.func @pool_keys_extent(%k: tensor<2x4x100x64xf32>) {
  // expected-error @+1 {{result extent 3 (32) must be the 1 pools x key extent 3 (64)}}
  %kbar = attn_tile.pool_keys %k selection(#attn.topk_blocks<block = 16, k = 3, pool = mean>)
      : tensor<2x4x100x64xf32> -> tensor<2x4x7x32xf32>
  return
}

// -----

func.func @select_blocks_rows(%qt: tensor<16x64xf32>, %kbar: tensor<2x4x7x64xf32>, %i: index) {
  // expected-error @+1 {{members extent 0 (8) does not match query extent 0 (16)}}
  %m, %v = attn_tile.select_blocks %qt, %kbar[%i, %i] at %i lengths(%i, %i)
      selection(#attn.topk_blocks<block = 16, k = 3, pool = mean>)
      : tensor<16x64xf32>, tensor<2x4x7x64xf32> -> tensor<8x7xi1>, tensor<7xi1>
  return
}

// -----

func.func @select_blocks_visited(%qt: tensor<16x64xf32>, %kbar: tensor<2x4x7x64xf32>, %i: index) {
  // expected-error @+1 {{visited extent 0 (6) does not match pooled keys extent 2 (7)}}
  %m, %v = attn_tile.select_blocks %qt, %kbar[%i, %i] at %i lengths(%i, %i)
      selection(#attn.topk_blocks<block = 16, k = 3, pool = mean>)
      : tensor<16x64xf32>, tensor<2x4x7x64xf32> -> tensor<16x7xi1>, tensor<6xi1>
  return
}

// -----

func.func @keep_selected_block(%s: tensor<16x8xf32>, %m: tensor<16x7xi1>, %i: index) {
  // expected-error @+1 {{block must be positive, got 0}}
  %kept = attn_tile.keep_selected %s, %m at %i length %i block 0 : tensor<16x8xf32>, tensor<16x7xi1>
  return
}

// -----

func.func @keep_selected_rows(%s: tensor<16x8xf32>, %m: tensor<15x7xi1>, %i: index) {
  // expected-error @+1 {{members extent 0 (15) does not match scores extent 0 (16)}}
  %kept = attn_tile.keep_selected %s, %m at %i length %i block 4 : tensor<16x8xf32>, tensor<15x7xi1>
  return
}

// -----

func.func @for_key_tiles_selection_block(%n: index, %v: tensor<7xi1>) {
  // expected-error @+1 {{the selection block must be positive, got 0}}
  attn_tile.for_key_tiles keys(%n) queries(%n, %n) selected(%v : tensor<7xi1> block 0)
      attributes {tile_kv = 8 : i64, tile_q = 16 : i64} {
  ^bb0(%t0: index, %partial: i1):
    attn_tile.yield
  }
  return
}

// -----

func.func @for_key_tiles_selection_without_blocks(%n: index) {
  // expected-error @+1 {{selected blocks need their block size and a block size needs the selected blocks}}
  attn_tile.for_key_tiles keys(%n) queries(%n, %n)
      attributes {selection_block = 4 : i64, tile_kv = 8 : i64, tile_q = 16 : i64} {
  ^bb0(%t0: index, %partial: i1):
    attn_tile.yield
  }
  return
}

// -----

func.func @quantize_blocks(%x: tensor<1x2x100x8xf32>) -> tensor<1x2x3xf32> {
  // expected-error @+1 {{scales extent 2 (3) must be ceil(source tokens / block) = 2}}
  %v, %s = attn_tile.quantize %x block(64) : tensor<1x2x100x8xf32> -> tensor<1x2x100x8xi8>, tensor<1x2x3xf32>
  return %s : tensor<1x2x3xf32>
}

// -----

func.func @quantize_block_zero(%x: tensor<1x2x100x8xf32>) -> tensor<1x2x?xf32> {
  // expected-error @+1 {{attribute 'block' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %v, %s = attn_tile.quantize %x block(0) : tensor<1x2x100x8xf32> -> tensor<1x2x100x8xi8>, tensor<1x2x?xf32>
  return %s : tensor<1x2x?xf32>
}

// -----

func.func @center_shape(%x: tensor<1x2x100x8xf32>) -> tensor<1x2x100x4xf32> {
  // expected-error @+1 {{means extent 3 (4) does not match source extent 3 (8)}}
  %r, %m = attn_tile.center %x block(32) : tensor<1x2x100x8xf32> -> tensor<1x2x100x8xf32>, tensor<1x2x100x4xf32>
  return %m : tensor<1x2x100x4xf32>
}

// -----

func.func @quantized_scores_plus(%q: tensor<16x8xi8>, %k: tensor<8x8xi8>, %qs: tensor<16xf32>, %ks: tensor<8xf32>, %c: tensor<16x4xf32>, %s: f32) -> tensor<16x8xf32> {
  // expected-error @+1 {{plus extent 1 (4) does not match result extent 1 (8)}}
  %t = attn_tile.quantized_scores %q, %k rows(%qs, %ks) scale %s plus %c : tensor<16x8xi8>, tensor<8x8xi8>, tensor<16xf32>, tensor<8xf32>, tensor<16x4xf32> -> tensor<16x8xf32>
  return %t : tensor<16x8xf32>
}

// -----

// INT8 (127) or INT4 (7) in i8 lanes: a range must fit an i8.
func.func @quantize_range(%x: tensor<1x2x100x8xf32>) -> tensor<1x2x4xf32> {
  // expected-error @+1 {{attribute 'range' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1 whose maximum value is 127}}
  %v, %s = attn_tile.quantize %x block(32) range(128) : tensor<1x2x100x8xf32> -> tensor<1x2x100x8xi8>, tensor<1x2x4xf32>
  return %s : tensor<1x2x4xf32>
}

// -----

func.func @quantize_shape(%x: tensor<1x2x100x8xf32>) -> tensor<1x2x100x4xi8> {
  // expected-error @+1 {{values extent 3 (4) does not match source extent 3 (8)}}
  %v, %s = attn_tile.quantize %x block(1) : tensor<1x2x100x8xf32> -> tensor<1x2x100x4xi8>, tensor<1x2x100xf32>
  return %v : tensor<1x2x100x4xi8>
}

// -----

func.func @sign_shape(%x: tensor<1x2x100x8xf32>) -> tensor<1x3x100x8xi8> {
  // expected-error @+1 {{result extent 1 (3) does not match source extent 1 (2)}}
  %v = attn_tile.sign %x : tensor<1x2x100x8xf32> -> tensor<1x3x100x8xi8>
  return %v : tensor<1x3x100x8xi8>
}

// -----

func.func @load_quantized_rows(%x: tensor<1x2x100x8xi8>, %i: index) -> tensor<4xf32> {
  // expected-error @+1 {{row_scales extent 0 (4) does not match values extent 0 (16)}}
  %v, %s = attn_tile.load_quantized %x[%i, %i, %i] : tensor<1x2x100x8xi8> -> tensor<16x8xi8>, tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

func.func @load_quantized_float(%x: tensor<1x2x100x8xf32>, %i: index) -> tensor<16xf32> {
  // expected-error @+1 {{operand #0 must be 4D tensor of 8-bit signless integer values}}
  %v, %s = attn_tile.load_quantized %x[%i, %i, %i] : tensor<1x2x100x8xf32> -> tensor<16x8xi8>, tensor<16xf32>
  return %s : tensor<16xf32>
}

// -----

func.func @quantized_scores_depth(%q: tensor<4x16xi8>, %k: tensor<8x32xi8>, %qs: tensor<4xf32>, %ks: tensor<8xf32>, %s: f32) -> tensor<4x8xf32> {
  // expected-error @+1 {{query extent 1 (16) does not match key extent 1 (32)}}
  %t = attn_tile.quantized_scores %q, %k rows(%qs, %ks) scale %s : tensor<4x16xi8>, tensor<8x32xi8>, tensor<4xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %t : tensor<4x8xf32>
}

// -----

func.func @quantized_scores_rows(%q: tensor<4x16xi8>, %k: tensor<8x16xi8>, %qs: tensor<4xf32>, %ks: tensor<7xf32>, %s: f32) -> tensor<4x8xf32> {
  // expected-error @+1 {{k_scales extent 0 (7) does not match key extent 0 (8)}}
  %t = attn_tile.quantized_scores %q, %k rows(%qs, %ks) scale %s : tensor<4x16xi8>, tensor<8x16xi8>, tensor<4xf32>, tensor<7xf32> -> tensor<4x8xf32>
  return %t : tensor<4x8xf32>
}

// -----

func.func @quantized_scores_overflow(%q: tensor<4x133145xi8>, %k: tensor<8x133145xi8>, %qs: tensor<4xf32>, %ks: tensor<8xf32>, %s: f32) -> tensor<4x8xf32> {
  // expected-error @+1 {{head_dim 133145 could overflow the i32 accumulator (D * 127^2 >= 2^31); at most 133144}}
  %t = attn_tile.quantized_scores %q, %k rows(%qs, %ks) scale %s : tensor<4x133145xi8>, tensor<8x133145xi8>, tensor<4xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %t : tensor<4x8xf32>
}

// -----

func.func @dot_bytes_lanes(%acc: vector<16xi32>, %u: vector<32xi8>, %s: vector<32xi8>) -> vector<16xi32> {
  // expected-error @+1 {{needs 4 bytes per i32 lane: 32 bytes for 16 lanes}}
  %r = attn_tile.dot_bytes %acc, %u, %s : vector<32xi8> -> vector<16xi32>
  return %r : vector<16xi32>
}

// -----

func.func @pool_queries_per_token(%q: tensor<2x4x100x64xf32>) {
  // expected-error @+1 {{needs a per-query-block selection (q_block > 0)}}
  %qbar = attn_tile.pool_queries %q selection(#attn.topk_blocks<block = 16, k = 3, pool = mean>)
      : tensor<2x4x100x64xf32> -> tensor<2x4x7x64xf32>
  return
}

// -----

func.func @quantize_channels_scales(%v: tensor<1x2x8x16xf32>) -> tensor<1x2x8xf32> {
  // expected-error @+1 {{scales extent 2 (8) does not match source extent 3 (16)}}
  %vq, %vs = attn_tile.quantize_channels %v : tensor<1x2x8x16xf32> -> tensor<1x2x8x16xi8>, tensor<1x2x8xf32>
  return %vs : tensor<1x2x8xf32>
}

// -----

func.func @select_blocks_missing_queries(%qt: tensor<16x64xf32>, %kbar: tensor<2x4x7x64xf32>, %i: index) {
  // expected-error @+1 {{needs the pooled queries of a per-query-block selection}}
  %m, %v = attn_tile.select_blocks %qt, %kbar[%i, %i] at %i lengths(%i, %i)
      selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 16>)
      : tensor<16x64xf32>, tensor<2x4x7x64xf32> -> tensor<16x7xi1>, tensor<7xi1>
  return
}

// -----

func.func @quantized_accumulate_scales(%p: tensor<4x8xf32>, %v: tensor<8x16xi8>, %s: tensor<15xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{scales extent 0 (15) does not match value extent 1 (16)}}
  %r = attn_tile.quantized_accumulate %p, %v scales(%s) into %acc : tensor<4x8xf32>, tensor<8x16xi8>, tensor<15xf32> -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

func.func @select_blocks_per_token_queries(%qt: tensor<16x64xf32>, %kbar: tensor<2x4x7x64xf32>, %qbar: tensor<2x4x4x64xf32>, %i: index) {
  // expected-error @+1 {{takes pooled queries only with q_block > 0}}
  %m, %v = attn_tile.select_blocks %qt, %kbar[%i, %i] queries %qbar[%i] at %i lengths(%i, %i)
      selection(#attn.topk_blocks<block = 16, k = 3, pool = mean>)
      : tensor<16x64xf32>, tensor<2x4x7x64xf32>, tensor<2x4x4x64xf32> -> tensor<16x7xi1>, tensor<7xi1>
  return
}

// -----

func.func @quantized_accumulate_keys(%p: tensor<4x7xf32>, %v: tensor<8x16xi8>, %s: tensor<16xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{weights extent 1 (7) does not match value extent 0 (8)}}
  %r = attn_tile.quantized_accumulate %p, %v scales(%s) into %acc : tensor<4x7xf32>, tensor<8x16xi8>, tensor<16xf32> -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

func.func @select_blocks_queries_width(%qt: tensor<16x64xf32>, %kbar: tensor<2x4x7x64xf32>, %qbar: tensor<2x4x4x32xf32>, %i: index) {
  // expected-error @+1 {{pooled queries extent 3 (32) does not match pooled keys extent 3 (64)}}
  %m, %v = attn_tile.select_blocks %qt, %kbar[%i, %i] queries %qbar[%i] at %i lengths(%i, %i)
      selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 16>)
      : tensor<16x64xf32>, tensor<2x4x7x64xf32>, tensor<2x4x4x32xf32> -> tensor<16x7xi1>, tensor<7xi1>
  return
}

// -----

func.func @pool_queries_group_missing(%q: tensor<2x4x100x64xf32>) {
  // expected-error @+1 {{needs the group count of a head_group selection}}
  %qbar = attn_tile.pool_queries %q selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 32, head_group = true>)
      : tensor<2x4x100x64xf32> -> tensor<2x2x4x64xf32>
  return
}

// -----

func.func @pool_queries_group_extra(%q: tensor<2x4x100x64xf32>, %g: index) {
  // expected-error @+1 {{takes a group count only with head_group}}
  %qbar = attn_tile.pool_queries %q groups %g selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 32>)
      : tensor<2x4x100x64xf32> -> tensor<2x4x4x64xf32>
  return
}

// -----

func.func @quantized_accumulate_overflow(%p: tensor<4x66312xf32>, %v: tensor<66312x16xi8>, %s: tensor<16xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{key extent 66312 could overflow the i32 sums (255 * 127 per key); at most 66311}}
  %r = attn_tile.quantized_accumulate %p, %v scales(%s) into %acc : tensor<4x66312xf32>, tensor<66312x16xi8>, tensor<16xf32> -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

func.func @fp8_channels_shape(%x: tensor<1x2x100x8xf32>) -> tensor<1x2x100x4xf32> {
  // expected-error @+1 {{result extent 3 (4) does not match source extent 3 (8)}}
  %r = attn_tile.fp8_channels %x : tensor<1x2x100x8xf32> -> tensor<1x2x100x4xf32>
  return %r : tensor<1x2x100x4xf32>
}

// -----

func.func @quantize_fp8_shape(%x: tensor<1x2x100x8xf32>) -> tensor<1x2x90x8xf32> {
  // expected-error @+1 {{result extent 2 (90) does not match source extent 2 (100)}}
  %r = attn_tile.quantize_fp8 %x block(4) : tensor<1x2x100x8xf32> -> tensor<1x2x90x8xf32>
  return %r : tensor<1x2x90x8xf32>
}

// -----

func.func @quantize_fp8_block(%x: tensor<1x2x100x8xf32>) -> tensor<1x2x100x8xf32> {
  // expected-error @+1 {{attribute 'block' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %r = attn_tile.quantize_fp8 %x block(0) : tensor<1x2x100x8xf32> -> tensor<1x2x100x8xf32>
  return %r : tensor<1x2x100x8xf32>
}

// -----

func.func @dequantize_fp8_source(%x: tensor<1x2x100x8xf16>) -> tensor<1x2x100x8xf32> {
  // expected-error @+1 {{operand #0 must be 4D tensor of 8-bit signless integer or f8E4M3FN type or f8E5M2 type values}}
  %r = attn_tile.dequantize %x : tensor<1x2x100x8xf16> -> tensor<1x2x100x8xf32>
  return %r : tensor<1x2x100x8xf32>
}

// -----

func.func @pool_keys_concat_width(%k: tensor<2x4x100x64xf32>) {
  // expected-error @+1 {{result extent 3 (64) must be the 3 pools x key extent 3 (64)}}
  %kbar = attn_tile.pool_keys %k selection(#attn.topk_blocks<block = 16, k = 3, pool = [max, min, mean], q_block = 16, gate = learned>)
      : tensor<2x4x100x64xf32> -> tensor<2x4x7x64xf32>
  return
}

// -----

func.func @project_pooled_heads(%p: tensor<2x4x7x192xf32>, %w: tensor<2x192x8xf32>) {
  // expected-error @+1 {{weight extent 0 (2) does not match pooled extent 1 (4)}}
  %g = attn_tile.project_pooled %p, %w : tensor<2x4x7x192xf32>, tensor<2x192x8xf32> -> tensor<2x4x7x8xf32>
  return
}

// -----

func.func @project_pooled_width(%p: tensor<2x4x7x192xf32>, %w: tensor<4x64x8xf32>) {
  // expected-error @+1 {{weight extent 1 (64) does not match pooled extent 3 (192)}}
  %g = attn_tile.project_pooled %p, %w : tensor<2x4x7x192xf32>, tensor<4x64x8xf32> -> tensor<2x4x7x8xf32>
  return
}

// -----

func.func @project_pooled_result(%p: tensor<2x4x7x192xf32>, %w: tensor<1x192x8xf32>) {
  // expected-error @+1 {{result extent 3 (4) does not match weight extent 2 (8)}}
  %g = attn_tile.project_pooled %p, %w : tensor<2x4x7x192xf32>, tensor<1x192x8xf32> -> tensor<2x4x7x4xf32>
  return
}

// -----

func.func @pool_keys_proxy_without_groups(%k: tensor<2x4x100x64xf32>) {
  // expected-error @+1 {{needs the group count of a proxy_heads selection}}
  %kbar = attn_tile.pool_keys %k selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 16, head_group = true, proxy_heads = 2>)
      : tensor<2x4x100x64xf32> -> tensor<2x2x7x64xf32>
  return
}

// -----

func.func @pool_keys_groups_without_proxy(%k: tensor<2x4x100x64xf32>, %g: index) {
  // expected-error @+1 {{takes a group count only with proxy_heads}}
  %kbar = attn_tile.pool_keys %k groups %g selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 16, head_group = true>)
      : tensor<2x4x100x64xf32> -> tensor<2x2x7x64xf32>
  return
}

// -----

func.func @unpack_int4_odd(%x: tensor<1x2x100x4xi8>) -> tensor<1x2x100x7xi8> {
  // expected-error @+1 {{packed i4 values fill whole bytes: the result's head dimension must be even, got 7}}
  %v = attn_tile.unpack_int4 %x : tensor<1x2x100x4xi8> -> tensor<1x2x100x7xi8>
  return %v : tensor<1x2x100x7xi8>
}

// -----

func.func @unpack_int4_bytes(%x: tensor<1x2x100x4xi8>) -> tensor<1x2x100x16xi8> {
  // expected-error @+1 {{packed source extent 3 (4 bytes) must hold the result's 16 channels, two per byte}}
  %v = attn_tile.unpack_int4 %x : tensor<1x2x100x4xi8> -> tensor<1x2x100x16xi8>
  return %v : tensor<1x2x100x16xi8>
}

// -----

func.func @unpack_int4_shape(%x: tensor<1x2x100x8xi4>) -> tensor<1x2x99x8xi8> {
  // expected-error @+1 {{result extent 2 (99) does not match source extent 2 (100)}}
  %v = attn_tile.unpack_int4 %x : tensor<1x2x100x8xi4> -> tensor<1x2x99x8xi8>
  return %v : tensor<1x2x99x8xi8>
}

// -----

func.func @unpack_int4_unpacked_width(%x: tensor<1x2x100x8xi4>) -> tensor<1x2x100x16xi8> {
  // expected-error @+1 {{result extent 3 (16) does not match source extent 3 (8)}}
  %v = attn_tile.unpack_int4 %x : tensor<1x2x100x8xi4> -> tensor<1x2x100x16xi8>
  return %v : tensor<1x2x100x16xi8>
}

// -----

// A [Hr, D, R] matrix gives R result channels (rectangular: the low_rank
// projections); its D rows must match the source's channels.
func.func @rotate_width(%x: tensor<1x2x100x8xf32>, %r: tensor<1x8x4xf32>) -> tensor<1x2x100x8xf32> {
  // expected-error @+1 {{result extent 3 (8) does not match rotation extent 2 (4)}}
  %v = attn_tile.rotate %x, %r : tensor<1x2x100x8xf32>, tensor<1x8x4xf32> -> tensor<1x2x100x8xf32>
  return %v : tensor<1x2x100x8xf32>
}

// -----

func.func @rotate_rows(%x: tensor<1x2x100x8xf32>, %r: tensor<1x6x4xf32>) -> tensor<1x2x100x4xf32> {
  // expected-error @+1 {{rotation extent 1 (6) does not match source extent 3 (8)}}
  %v = attn_tile.rotate %x, %r : tensor<1x2x100x8xf32>, tensor<1x6x4xf32> -> tensor<1x2x100x4xf32>
  return %v : tensor<1x2x100x4xf32>
}

// -----

func.func @dequantize_shape(%x: tensor<1x2x100x8xi8>, %s: tensor<1x2x100xf32>) -> tensor<1x2x99x8xf32> {
  // expected-error @+1 {{result extent 2 (99) does not match source extent 2 (100)}}
  %r = attn_tile.dequantize %x scales(%s block 1) : tensor<1x2x100x8xi8>, tensor<1x2x100xf32> -> tensor<1x2x99x8xf32>
  return %r : tensor<1x2x99x8xf32>
}

// -----

func.func @quantize_salient_without_range(%x: tensor<1x2x100x8xf32>, %m: tensor<1x2x4xi8>) {
  // expected-error @+1 {{salient flags and salient_range must be given together}}
  %v, %s = "attn_tile.quantize"(%x, %m) <{block = 32 : i64, range = 7 : i64}> : (tensor<1x2x100x8xf32>, tensor<1x2x4xi8>) -> (tensor<1x2x100x8xi8>, tensor<1x2x4xf32>)
  return
}

// -----

// Given scores per query block come as gates, without pooled queries.
func.func @select_blocks_given_query_block_queries(%qt: tensor<16x1xf32>, %kbar: tensor<2x4x7x1xf32>, %qbar: tensor<2x4x4x1xf32>, %g: tensor<16x7xf32>, %i: index) {
  // expected-error @+1 {{takes pooled queries only with q_block > 0 and a gate that is not given}}
  %m, %v = attn_tile.select_blocks %qt, %kbar[%i, %i] queries %qbar[%i] gates(%g : tensor<16x7xf32>) at %i lengths(%i, %i)
      selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 16, gate = given>)
      : tensor<16x1xf32>, tensor<2x4x7x1xf32>, tensor<2x4x4x1xf32> -> tensor<16x7xi1>, tensor<7xi1>
  return
}

// -----

func.func @dequantize_channels_without_scales(%x: tensor<1x2x100x8xi8>) -> tensor<1x2x100x8xf32> {
  // expected-error @+1 {{channels needs scales}}
  %r = attn_tile.dequantize %x {channels} : tensor<1x2x100x8xi8> -> tensor<1x2x100x8xf32>
  return %r : tensor<1x2x100x8xf32>
}

// -----

func.func @select_blocks_query_block_gates(%qt: tensor<16x64xf32>, %kbar: tensor<2x4x7x64xf32>, %qbar: tensor<2x4x4x64xf32>, %g: tensor<16x7xf32>, %i: index) {
  // expected-error @+1 {{takes given gates only per token or from given scores, with one pool and no learned gate}}
  %m, %v = attn_tile.select_blocks %qt, %kbar[%i, %i] queries %qbar[%i] gates(%g : tensor<16x7xf32>) at %i lengths(%i, %i)
      selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 16>)
      : tensor<16x64xf32>, tensor<2x4x7x64xf32>, tensor<2x4x4x64xf32> -> tensor<16x7xi1>, tensor<7xi1>
  return
}

// -----

func.func @dequantize_channels_block(%x: tensor<1x2x100x8xi8>, %s: tensor<1x2x8xf32>) -> tensor<1x2x100x8xf32> {
  // expected-error @+1 {{channels needs block 1, got 4}}
  %r = attn_tile.dequantize %x scales(%s block 4) channels : tensor<1x2x100x8xi8>, tensor<1x2x8xf32> -> tensor<1x2x100x8xf32>
  return %r : tensor<1x2x100x8xf32>
}

// -----

func.func @dequantize_channels_extent(%x: tensor<1x2x100x8xi8>, %s: tensor<1x2x100xf32>) -> tensor<1x2x100x8xf32> {
  // expected-error @+1 {{channels scales extent 2 (100) must be 1 or the source's D (8)}}
  %r = attn_tile.dequantize %x scales(%s block 1) channels : tensor<1x2x100x8xi8>, tensor<1x2x100xf32> -> tensor<1x2x100x8xf32>
  return %r : tensor<1x2x100x8xf32>
}
