// RUN: attn-opt %s | FileCheck %s
// RUN: attn-opt %s | attn-opt | FileCheck %s

// Every attn_tile op round-trips through its printed form.

// CHECK-LABEL: func.func @one_pass
func.func @one_pass(%q: tensor<2x4x100x64xbf16>, %k: tensor<2x4x100x64xbf16>,
                    %v: tensor<2x4x100x32xbf16>, %b: index, %h: index,
                    %q0: index, %nq: index, %nk: index, %heads: index,
                    %scale: f32, %sink: f32, %gate: tensor<1x4x100xf32>)
    -> (tensor<16x32xbf16>, tensor<16xf32>) {
  // CHECK: attn_tile.load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : tensor<2x4x100x64xbf16> -> tensor<16x64xf32>
  %qt = attn_tile.load %q[%b, %h, %q0] : tensor<2x4x100x64xbf16> -> tensor<16x64xf32>
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<16xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<16xf32>) -> tensor<16xf32>
  %l0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<16xf32>) -> tensor<16xf32>
  %e1 = tensor.empty() : tensor<16x32xf32>
  %a0 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16x32xf32>) -> tensor<16x32xf32>
  // CHECK: attn_tile.for_key_tiles keys(%{{.*}}) queries(%{{.*}}, %{{.*}}) iter_args({{.*}}) attributes {mask = #attn.causal, region_masked, tile_kv = 8 : i64, tile_q = 16 : i64}
  %r:3 = attn_tile.for_key_tiles keys(%nk) queries(%q0, %nq)
      iter_args(%m0, %l0, %a0 : tensor<16xf32>, tensor<16xf32>, tensor<16x32xf32>)
      attributes {mask = #attn.causal, region_masked, tile_q = 16 : i64, tile_kv = 8 : i64} {
  ^bb0(%k0: index, %partial: i1, %m: tensor<16xf32>, %l: tensor<16xf32>, %acc: tensor<16x32xf32>):
    %kt = attn_tile.load %k[%b, %h, %k0] : tensor<2x4x100x64xbf16> -> tensor<8x64xf32>
    // CHECK: attn_tile.scores %{{.*}}, %{{.*}} scale %{{.*}} : tensor<16x64xf32>, tensor<8x64xf32> -> tensor<16x8xf32>
    %s = attn_tile.scores %qt, %kt scale %scale : tensor<16x64xf32>, tensor<8x64xf32> -> tensor<16x8xf32>
    // CHECK: attn_tile.mask {{.*}} partial %{{.*}} mask(#attn.causal) mask_fn
    %sm = attn_tile.mask %s at(%b, %h, %q0, %k0) lengths(%nq, %nk) heads %heads
        partial %partial mask(#attn.causal) mask_fn {
    ^bb0(%bb: index, %hh: index, %i: index, %j: index):
      %keep = arith.cmpi ne, %i, %j : index
      attn.yield %keep : i1
    } : tensor<16x8xf32>
    // CHECK: attn_tile.modify {{.*}} score_mods([#attn.softcap<3.000000e+01>]) score_mod
    %sf = attn_tile.modify %sm at(%b, %h, %q0, %k0) lengths(%nq, %nk) heads %heads
        score_mods([#attn.softcap<cap = 30.0>]) score_mod {
    ^bb0(%x: f32, %bb: index, %hh: index, %i: index, %j: index):
      %y = attn.query_length : index
      attn.yield %x : f32
    } : tensor<16x8xf32>
    // CHECK: attn_tile.online_update
    %w, %m1, %l1, %alpha = attn_tile.online_update %sf, %m, %l : tensor<16x8xf32>, tensor<16xf32>
    // CHECK: attn_tile.weight_mod
    %w2 = attn_tile.weight_mod %w, %sm at(%b, %h, %q0, %k0) lengths(%nq, %nk) {
    ^bb0(%x: f32, %raw: f32, %bb: index, %hh: index, %i: index, %j: index):
      %y = arith.mulf %x, %raw : f32
      attn.yield %y : f32
    } : tensor<16x8xf32>
    %vt = attn_tile.load %v[%b, %h, %k0] : tensor<2x4x100x32xbf16> -> tensor<8x32xf32>
    // CHECK: attn_tile.accumulate %{{.*}}, %{{.*}} into %{{.*}} rescale(%{{.*}} : tensor<16xf32>) excluding(%{{.*}} : tensor<16x8xf32>) : tensor<16x8xf32>, tensor<8x32xf32> -> tensor<16x32xf32>
    %acc1 = attn_tile.accumulate %w2, %vt into %acc rescale(%alpha : tensor<16xf32>) excluding(%sm : tensor<16x8xf32>) : tensor<16x8xf32>, tensor<8x32xf32> -> tensor<16x32xf32>
    attn_tile.yield %m1, %l1, %acc1 : tensor<16xf32>, tensor<16xf32>, tensor<16x32xf32>
  } -> tensor<16xf32>, tensor<16xf32>, tensor<16x32xf32>
  // CHECK: attn_tile.fold_sink %{{.*}}, %{{.*}}, %{{.*}} : tensor<16xf32>
  %m2, %l2, %rescale = attn_tile.fold_sink %r#0, %r#1, %sink : tensor<16xf32>
  // CHECK: attn_tile.finalize {{.*}} rescale(%{{.*}} : tensor<16xf32>) gate(%{{.*}} : tensor<1x4x100xf32> at {{.*}}) {divide} : tensor<16x32xf32>, tensor<16xf32> -> tensor<16x32xbf16>, tensor<16xf32>
  %o, %lse = attn_tile.finalize %r#2, %m2, %l2 rescale(%rescale : tensor<16xf32>)
      gate(%gate : tensor<1x4x100xf32> at %b, %h, %q0, %nq) {divide}
      : tensor<16x32xf32>, tensor<16xf32> -> tensor<16x32xbf16>, tensor<16xf32>
  return %o, %lse : tensor<16x32xbf16>, tensor<16xf32>
}

// CHECK-LABEL: func.func @split
func.func @split(%accs: tensor<?x16x32xf32>, %m: tensor<?x16xf32>, %l: tensor<?x16xf32>,
                 %nk: index, %q0: index, %nq: index, %lo: index, %hi: index,
                 %i0: tensor<16xf32>) -> (tensor<16x32xf32>, tensor<16xf32>) {
  // CHECK: attn_tile.merge %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x16x32xf32>, tensor<?x16xf32> -> tensor<16x32xf32>, tensor<16xf32>
  %acc, %max, %sum = attn_tile.merge %accs, %m, %l : tensor<?x16x32xf32>, tensor<?x16xf32> -> tensor<16x32xf32>, tensor<16xf32>
  // CHECK: attn_tile.for_key_tiles keys(%{{.*}}) range(%{{.*}}, %{{.*}}) queries(%{{.*}}, %{{.*}}) layout(%{{.*}} : tensor<1x1x4x4xi8> at %{{.*}}, %{{.*}})
  %layout = arith.constant dense<1> : tensor<1x1x4x4xi8>
  %r = attn_tile.for_key_tiles keys(%nk) range(%lo, %hi) queries(%q0, %nq)
      layout(%layout : tensor<1x1x4x4xi8> at %lo, %lo)
      iter_args(%i0 : tensor<16xf32>) attributes {tile_q = 16 : i64, tile_kv = 8 : i64} {
  ^bb0(%k0: index, %p: i1, %x: tensor<16xf32>):
    attn_tile.yield %x : tensor<16xf32>
  } -> tensor<16xf32>
  return %acc, %r : tensor<16x32xf32>, tensor<16xf32>
}

// CHECK-LABEL: func.func @final_weights
func.func @final_weights(%s: tensor<4x?xf32>, %m: tensor<4xf32>, %l: tensor<4xf32>)
    -> (tensor<4x?xf32>, tensor<4x?xf32>) {
  // CHECK: attn_tile.final_weights %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x?xf32>, tensor<4xf32>
  %w = attn_tile.final_weights %s, %m, %l : tensor<4x?xf32>, tensor<4xf32>
  // CHECK: attn_tile.final_weights {{.*}} normalization(<relu, l1>)
  %p = attn_tile.final_weights %s, %m, %l normalization(#attn.normalize<relu, l1>) : tensor<4x?xf32>, tensor<4xf32>
  return %w, %p : tensor<4x?xf32>, tensor<4x?xf32>
}

// CHECK-LABEL: func.func @linear
func.func @linear(%t: tensor<16x32xf32>, %s: tensor<16x8xf32>, %a: tensor<?x?x?xf32>,
                  %b: index, %h: index, %q0: index, %k0: index, %nq: index, %nk: index)
    -> (tensor<16x32xf32>, tensor<16x8xf32>) {
  // CHECK: attn_tile.feature_map %{{.*}} map(<elu_plus_one>) : tensor<16x32xf32>
  %f = attn_tile.feature_map %t map(#attn.feature_map<elu_plus_one>) : tensor<16x32xf32>
  // CHECK: attn_tile.decay_prefix %{{.*}}[%{{.*}}, %{{.*}}] length %{{.*}} : tensor<?x?x?xf32> -> tensor<?xf64>
  %c = attn_tile.decay_prefix %a[%b, %h] length %nk : tensor<?x?x?xf32> -> tensor<?xf64>
  // CHECK: attn_tile.decay %{{.*}}, %{{.*}} at(%{{.*}}, %{{.*}}) lengths(%{{.*}}, %{{.*}}) : tensor<16x8xf32>, tensor<?xf64>
  %d = attn_tile.decay %s, %c at(%q0, %k0) lengths(%nq, %nk) : tensor<16x8xf32>, tensor<?xf64>
  return %f, %d : tensor<16x32xf32>, tensor<16x8xf32>
}

// CHECK-LABEL: func.func @linear_state
func.func @linear_state(%fq: tensor<8x16xf32>, %fk: tensor<8x16xf32>, %v: tensor<8x?xf32>,
                        %s: tensor<16x?xf32>, %z: tensor<16xf32>, %c: tensor<?xf64>,
                        %scale: f32, %c0: index, %nk: index)
    -> (tensor<8x?xf32>, tensor<8xf32>, tensor<16x?xf32>, tensor<16xf32>) {
  // CHECK: attn_tile.read_state %{{.*}}, %{{.*}}, %{{.*}} scale %{{.*}} at %{{.*}} length %{{.*}} decay(%{{.*}} : tensor<?xf64>) : tensor<8x16xf32>, tensor<16x?xf32>, tensor<16xf32> -> tensor<8x?xf32>, tensor<8xf32>
  %acc, %sum = attn_tile.read_state %fq, %s, %z scale %scale at %c0 length %nk decay(%c : tensor<?xf64>)
      : tensor<8x16xf32>, tensor<16x?xf32>, tensor<16xf32> -> tensor<8x?xf32>, tensor<8xf32>
  // CHECK: attn_tile.update_state %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} length %{{.*}} : tensor<16x?xf32>, tensor<16xf32>, tensor<8x16xf32>, tensor<8x?xf32>
  %s2, %z2 = attn_tile.update_state %s, %z, %fk, %v at %c0 length %nk
      : tensor<16x?xf32>, tensor<16xf32>, tensor<8x16xf32>, tensor<8x?xf32>
  return %acc, %sum, %s2, %z2 : tensor<8x?xf32>, tensor<8xf32>, tensor<16x?xf32>, tensor<16xf32>
}

// A gate per key channel (GLA): per-channel prefixes, the gated score tile,
// the state read and folded per channel.
// CHECK-LABEL: func.func @channel_decay
func.func @channel_decay(%a: tensor<?x?x?x?xf32>, %fq: tensor<8x16xf32>, %fk: tensor<8x16xf32>,
                         %v: tensor<8x?xf32>, %s: tensor<16x?xf32>, %z: tensor<16xf32>,
                         %scale: f32, %b: index, %h: index, %c0: index, %nk: index)
    -> (tensor<8x8xf32>, tensor<8x?xf32>, tensor<16x?xf32>) {
  // CHECK: attn_tile.decay_prefix %{{.*}}[%{{.*}}, %{{.*}}] length %{{.*}} : tensor<?x?x?x?xf32> -> tensor<?x?xf64>
  %g = attn_tile.decay_prefix %a[%b, %h] length %nk : tensor<?x?x?x?xf32> -> tensor<?x?xf64>
  // CHECK: attn_tile.gated_scores %{{.*}}, %{{.*}}, %{{.*}} scale %{{.*}} at(%{{.*}}, %{{.*}}) lengths(%{{.*}}, %{{.*}}) : tensor<8x16xf32>, tensor<8x16xf32>, tensor<?x?xf64> -> tensor<8x8xf32>
  %t = attn_tile.gated_scores %fq, %fk, %g scale %scale at(%c0, %c0) lengths(%nk, %nk)
      : tensor<8x16xf32>, tensor<8x16xf32>, tensor<?x?xf64> -> tensor<8x8xf32>
  // CHECK: attn_tile.read_state {{.*}} decay(%{{.*}} : tensor<?x?xf64>)
  %acc, %sum = attn_tile.read_state %fq, %s, %z scale %scale at %c0 length %nk decay(%g : tensor<?x?xf64>)
      : tensor<8x16xf32>, tensor<16x?xf32>, tensor<16xf32> -> tensor<8x?xf32>, tensor<8xf32>
  // CHECK: attn_tile.update_state {{.*}} decay(%{{.*}} : tensor<?x?xf64>)
  %s2, %z2 = attn_tile.update_state %s, %z, %fk, %v at %c0 length %nk decay(%g : tensor<?x?xf64>)
      : tensor<16x?xf32>, tensor<16xf32>, tensor<8x16xf32>, tensor<8x?xf32>
  return %t, %acc, %s2 : tensor<8x8xf32>, tensor<8x?xf32>, tensor<16x?xf32>
}

// CHECK-LABEL: func.func @selection
func.func @selection(%k: tensor<2x4x100x64xbf16>, %qt: tensor<16x64xf32>,
                     %s: tensor<16x8xf32>, %b: index, %h: index, %q0: index,
                     %k0: index, %nq: index, %nk: index, %a0: tensor<16xf32>)
    -> (tensor<16x8xf32>, tensor<16xf32>) {
  // CHECK: attn_tile.pool_keys %{{.*}} selection(<block = 16, k = 3, pool = mean>) : tensor<2x4x100x64xbf16> -> tensor<2x4x7x64xf32>
  %kbar = attn_tile.pool_keys %k selection(#attn.topk_blocks<block = 16, k = 3, pool = mean>)
      : tensor<2x4x100x64xbf16> -> tensor<2x4x7x64xf32>
  // CHECK: attn_tile.select_blocks %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] at %{{.*}} lengths(%{{.*}}, %{{.*}}) selection(<block = 16, k = 3, pool = mean, keep_current = false>) : tensor<16x64xf32>, tensor<2x4x7x64xf32> -> tensor<16x7xi1>, tensor<7xi1>
  %m, %v = attn_tile.select_blocks %qt, %kbar[%b, %h] at %q0 lengths(%nq, %nk)
      selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, keep_current = false>)
      : tensor<16x64xf32>, tensor<2x4x7x64xf32> -> tensor<16x7xi1>, tensor<7xi1>
  // CHECK: attn_tile.keep_selected %{{.*}}, %{{.*}} at %{{.*}} length %{{.*}} block 16 : tensor<16x8xf32>, tensor<16x7xi1>
  %kept = attn_tile.keep_selected %s, %m at %k0 length %nk block 16 : tensor<16x8xf32>, tensor<16x7xi1>
  // CHECK: attn_tile.for_key_tiles keys(%{{.*}}) queries(%{{.*}}, %{{.*}}) selected(%{{.*}} : tensor<7xi1> block 16) iter_args
  %r = attn_tile.for_key_tiles keys(%nk) queries(%q0, %nq) selected(%v : tensor<7xi1> block 16)
      iter_args(%a0 : tensor<16xf32>) attributes {tile_kv = 8 : i64, tile_q = 16 : i64} {
  ^bb0(%t0: index, %partial: i1, %a: tensor<16xf32>):
    attn_tile.yield %a : tensor<16xf32>
  } -> tensor<16xf32>
  return %kept, %r : tensor<16x8xf32>, tensor<16xf32>
}

// Quantized Q K^T.
// CHECK-LABEL: func.func @quantized
// CHECK: attn_tile.quantize %{{.*}} block(64) center : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
// CHECK: attn_tile.quantize %{{.*}} block(3) : tensor<2x4x100x64xf32> -> tensor<2x4x100x64xi8>, tensor<2x4x34xf32>
// CHECK: attn_tile.quantize %{{.*}} block(32) range(7) center : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
// CHECK: attn_tile.sign %{{.*}} : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xi8>
// CHECK: attn_tile.load_quantized %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] scales(%{{.*}} block 64) : tensor<?x?x?x?xi8>, tensor<?x?x?xf32> -> tensor<16x?xi8>, tensor<16xf32>
// CHECK: attn_tile.load_quantized %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : tensor<?x?x?x?xi8> -> tensor<8x?xi8>, tensor<8xf32>
// CHECK: attn_tile.quantized_scores %{{.*}}, %{{.*}} rows(%{{.*}}, %{{.*}}) scale %{{.*}} : tensor<16x?xi8>, tensor<8x?xi8>, tensor<16xf32>, tensor<8xf32> -> tensor<16x8xf32>
// CHECK: attn_tile.center %{{.*}} block(16) : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
// CHECK: attn_tile.center %{{.*}} : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
// CHECK: attn_tile.quantized_scores %{{.*}}, %{{.*}} rows(%{{.*}}, %{{.*}}) scale %{{.*}} plus %{{.*}} : tensor<16x?xi8>, tensor<8x?xi8>, tensor<16xf32>, tensor<8xf32>, tensor<16x8xf32> -> tensor<16x8xf32>
func.func @quantized(%x: tensor<?x?x?x?xbf16>, %y: tensor<2x4x100x64xf32>, %b: index, %h: index,
                     %r: index, %scale: f32) -> (tensor<16x8xf32>, tensor<2x4x100x64xi8>, tensor<2x4x34xf32>) {
  %kv, %ks = attn_tile.quantize %x block(64) center : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
  %yv, %ys = attn_tile.quantize %y block(3) : tensor<2x4x100x64xf32> -> tensor<2x4x100x64xi8>, tensor<2x4x34xf32>
  %i4v, %i4s = attn_tile.quantize %x block(32) range(7) center : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xi8>, tensor<?x?x?xf32>
  %signs = attn_tile.sign %x : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xi8>
  %qt, %qs = attn_tile.load_quantized %kv[%b, %h, %r] scales(%ks block 64)
      : tensor<?x?x?x?xi8>, tensor<?x?x?xf32> -> tensor<16x?xi8>, tensor<16xf32>
  %kt, %kr = attn_tile.load_quantized %signs[%b, %h, %r] : tensor<?x?x?x?xi8> -> tensor<8x?xi8>, tensor<8xf32>
  %s = attn_tile.quantized_scores %qt, %kt rows(%qs, %kr) scale %scale
      : tensor<16x?xi8>, tensor<8x?xi8>, tensor<16xf32>, tensor<8xf32> -> tensor<16x8xf32>
  %cr, %cm = attn_tile.center %x block(16) : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
  %ar, %am = attn_tile.center %x : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
  %s2 = attn_tile.quantized_scores %qt, %kt rows(%qs, %kr) scale %scale plus %s
      : tensor<16x?xi8>, tensor<8x?xi8>, tensor<16xf32>, tensor<8xf32>, tensor<16x8xf32> -> tensor<16x8xf32>
  return %s2, %yv, %ys : tensor<16x8xf32>, tensor<2x4x100x64xi8>, tensor<2x4x34xf32>
}

// CHECK-LABEL: func.func @dot_bytes
// CHECK:       attn_tile.dot_bytes %{{.*}}, %{{.*}}, %{{.*}} : vector<64xi8> -> vector<16xi32>
func.func @dot_bytes(%acc: vector<16xi32>, %u: vector<64xi8>, %s: vector<64xi8>) -> vector<16xi32> {
  %r = attn_tile.dot_bytes %acc, %u, %s : vector<64xi8> -> vector<16xi32>
  return %r : vector<16xi32>
}

// CHECK-LABEL: func.func @query_block_selection
func.func @query_block_selection(%q: tensor<2x4x100x64xf32>, %qt: tensor<16x64xf32>,
                                 %kbar: tensor<2x4x7x64xf32>, %b: index, %h: index,
                                 %q0: index, %nq: index, %nk: index)
    -> (tensor<16x7xi1>, tensor<7xi1>) {
  // CHECK: attn_tile.pool_queries %{{.*}} selection(<block = 16, k = 3, pool = mean, q_block = 32>) : tensor<2x4x100x64xf32> -> tensor<2x4x4x64xf32>
  %qbar = attn_tile.pool_queries %q selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 32>)
      : tensor<2x4x100x64xf32> -> tensor<2x4x4x64xf32>
  // CHECK: attn_tile.select_blocks %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] queries %{{.*}}[%{{.*}}] at %{{.*}} lengths(%{{.*}}, %{{.*}}) selection(<block = 16, k = 3, pool = mean, q_block = 32>) : tensor<16x64xf32>, tensor<2x4x7x64xf32>, tensor<2x4x4x64xf32> -> tensor<16x7xi1>, tensor<7xi1>
  %m, %v = attn_tile.select_blocks %qt, %kbar[%b, %h] queries %qbar[%h] at %q0 lengths(%nq, %nk)
      selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 32>)
      : tensor<16x64xf32>, tensor<2x4x7x64xf32>, tensor<2x4x4x64xf32> -> tensor<16x7xi1>, tensor<7xi1>
  return %m, %v : tensor<16x7xi1>, tensor<7xi1>
}

// CHECK-LABEL: func.func @head_group_queries
func.func @head_group_queries(%q: tensor<2x4x100x64xf32>, %g: index) -> tensor<2x2x4x64xf32> {
  // CHECK: attn_tile.pool_queries %{{.*}} groups %{{.*}} selection(<block = 16, k = 3, pool = mean, q_block = 32, head_group = true>) : tensor<2x4x100x64xf32> -> tensor<2x2x4x64xf32>
  %qbar = attn_tile.pool_queries %q groups %g selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 32, head_group = true>)
      : tensor<2x4x100x64xf32> -> tensor<2x2x4x64xf32>
  return %qbar : tensor<2x2x4x64xf32>
}

// FP8 P V.
// CHECK-LABEL: func.func @fp8
// CHECK: attn_tile.fp8_channels %{{.*}} : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.fp8_channels %{{.*}} e5m2 : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.round_fp8 %{{.*}} : tensor<16x8xf32>
// CHECK: attn_tile.round_fp8 %{{.*}} e5m2 : tensor<16x8xf32>
func.func @fp8(%v: tensor<?x?x?x?xbf16>, %w: tensor<16x8xf32>) -> (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<16x8xf32>, tensor<16x8xf32>) {
  %a = attn_tile.fp8_channels %v : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
  %b = attn_tile.fp8_channels %v e5m2 : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
  %c = attn_tile.round_fp8 %w : tensor<16x8xf32>
  %d = attn_tile.round_fp8 %w e5m2 : tensor<16x8xf32>
  return %a, %b, %c, %d : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<16x8xf32>, tensor<16x8xf32>
}

// FP8 Q K^T: the compiler's FP8 per token block (held dequantized), and an
// FP8 operand decoded and times its scales.
// CHECK-LABEL: func.func @fp8_qk
// CHECK: attn_tile.quantize_fp8 %{{.*}} block(64) center : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.quantize_fp8 %{{.*}} block(1) e5m2 : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.dequantize %{{.*}} scales(%{{.*}} block 2) : tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: attn_tile.dequantize %{{.*}} scales(%{{.*}} block 1) : tensor<?x?x?x?xf8E5M2>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
func.func @fp8_qk(%x: tensor<?x?x?x?xbf16>, %a: tensor<?x?x?x?xf8E4M3FN>, %b: tensor<?x?x?x?xf8E5M2>, %s: tensor<?x?x?xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) {
  %0 = attn_tile.quantize_fp8 %x block(64) center : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
  %1 = attn_tile.quantize_fp8 %x block(1) e5m2 : tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
  %2 = attn_tile.dequantize %a scales(%s block 2) : tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
  %3 = attn_tile.dequantize %b scales(%s block 1) : tensor<?x?x?x?xf8E5M2>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %0, %1, %2, %3 : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
}

// A learned gate: concatenated pools (3 x 64 wide), projected per head (and
// by a shared weight) to the gate width, then select_blocks on the
// projected rows (the query tile keeps its own width).
// CHECK-LABEL: func.func @learned_gate
func.func @learned_gate(%k: tensor<2x4x100x64xbf16>, %q: tensor<2x4x100x64xf32>,
                        %wk: tensor<4x192x8xf32>, %wq: tensor<1x64x8xbf16>,
                        %qt: tensor<16x64xf32>, %b: index, %h: index,
                        %q0: index, %nq: index, %nk: index)
    -> (tensor<16x7xi1>, tensor<7xi1>) {
  // CHECK: attn_tile.pool_keys %{{.*}} selection(<block = 16, k = 3, pool = [max, min, mean], q_block = 32, gate = learned>) : tensor<2x4x100x64xbf16> -> tensor<2x4x7x192xf32>
  %kbar = attn_tile.pool_keys %k selection(#attn.topk_blocks<block = 16, k = 3, pool = [max, min, mean], q_block = 32, gate = learned>)
      : tensor<2x4x100x64xbf16> -> tensor<2x4x7x192xf32>
  // CHECK: attn_tile.project_pooled %{{.*}}, %{{.*}} : tensor<2x4x7x192xf32>, tensor<4x192x8xf32> -> tensor<2x4x7x8xf32>
  %kg = attn_tile.project_pooled %kbar, %wk : tensor<2x4x7x192xf32>, tensor<4x192x8xf32> -> tensor<2x4x7x8xf32>
  %qbar = attn_tile.pool_queries %q selection(#attn.topk_blocks<block = 16, k = 3, pool = [max, min, mean], q_block = 32, gate = learned>)
      : tensor<2x4x100x64xf32> -> tensor<2x4x4x64xf32>
  // CHECK: attn_tile.project_pooled %{{.*}}, %{{.*}} : tensor<2x4x4x64xf32>, tensor<1x64x8xbf16> -> tensor<2x4x4x8xf32>
  %qg = attn_tile.project_pooled %qbar, %wq : tensor<2x4x4x64xf32>, tensor<1x64x8xbf16> -> tensor<2x4x4x8xf32>
  // CHECK: attn_tile.select_blocks %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] queries %{{.*}}[%{{.*}}] at {{.*}} : tensor<16x64xf32>, tensor<2x4x7x8xf32>, tensor<2x4x4x8xf32> -> tensor<16x7xi1>, tensor<7xi1>
  %m, %v = attn_tile.select_blocks %qt, %kg[%b, %h] queries %qg[%h] at %q0 lengths(%nq, %nk)
      selection(#attn.topk_blocks<block = 16, k = 3, pool = [max, min, mean], q_block = 32, gate = learned>)
      : tensor<16x64xf32>, tensor<2x4x7x8xf32>, tensor<2x4x4x8xf32> -> tensor<16x7xi1>, tensor<7xi1>
  return %m, %v : tensor<16x7xi1>, tensor<7xi1>
}

// Proxy heads: the pooled keys averaged over groups of key heads.
// CHECK-LABEL: func.func @proxy_heads
func.func @proxy_heads(%k: tensor<2x4x100x64xbf16>, %g: index) -> tensor<2x2x7x64xf32> {
  // CHECK: attn_tile.pool_keys %{{.*}} groups %{{.*}} selection(<block = 16, k = 3, pool = mean, q_block = 32, head_group = true, proxy_heads = 2>) : tensor<2x4x100x64xbf16> -> tensor<2x2x7x64xf32>
  %kbar = attn_tile.pool_keys %k groups %g selection(#attn.topk_blocks<block = 16, k = 3, pool = mean, q_block = 32, head_group = true, proxy_heads = 2>)
      : tensor<2x4x100x64xbf16> -> tensor<2x2x7x64xf32>
  return %kbar : tensor<2x2x7x64xf32>
}

// A value cache per channel: one scale per (batch, head, channel).
// CHECK-LABEL: func.func @dequantize_channels
// CHECK: attn_tile.dequantize %{{.*}} scales(%{{.*}} block 1) channels : tensor<?x?x?x?xi8>, tensor<1x?x?xf32> -> tensor<?x?x?x?xf32>
func.func @dequantize_channels(%v: tensor<?x?x?x?xi8>, %s: tensor<1x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %0 = attn_tile.dequantize %v scales(%s block 1) channels : tensor<?x?x?x?xi8>, tensor<1x?x?xf32> -> tensor<?x?x?x?xf32>
  return %0 : tensor<?x?x?x?xf32>
}
