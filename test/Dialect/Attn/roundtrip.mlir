// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// Round trip of every syntactic form of attn.attention and of every #attn
// attribute, through the custom and the generic printer. Note that the
// printer elides the dialect prefix of the normalization attribute
// (`normalization(<sigmoid>)`), since the attribute kind is fixed there; both
// spellings parse.

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @no_mask
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
func.func @no_mask(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @full
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} mask(#attn.full) :
func.func @full(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.full)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @causal
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} mask(#attn.causal) :
func.func @causal(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @window
// CHECK: mask(#attn.window<left = 255, right = 0>)
// CHECK: mask(#attn.window<left = 0, right = 0>)
// CHECK: mask(#attn.window<left = 3, right = 7>)
func.func @window(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v mask(#attn.window<left = 255, right = 0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o1 = attn.attention %q, %k, %v mask(#attn.window<left = 0, right = 0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o2 = attn.attention %q, %k, %v mask(#attn.window<left = 3, right = 7>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %o1, %o2 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @sinks
// CHECK: mask(#attn.sinks<4>)
// CHECK: mask(#attn.sinks<0>)
func.func @sinks(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v mask(#attn.sinks<4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o1 = attn.attention %q, %k, %v mask(#attn.sinks<0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %o1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// Parameters equal to their defaults (block = 1, offset = 0, head_step = 0)
// are elided by the printer.
// CHECK-LABEL: func.func @strided_defaults
// CHECK: mask(#attn.strided<stride = 4>)
// CHECK: mask(#attn.strided<stride = 4>)
// CHECK: mask(#attn.strided<stride = 2, block = 64>)
func.func @strided_defaults(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v mask(#attn.strided<stride = 4>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o1 = attn.attention %q, %k, %v mask(#attn.strided<stride = 4, block = 1, offset = 0, head_step = 0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o2 = attn.attention %q, %k, %v mask(#attn.strided<stride = 2, block = 64>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %o1, %o2 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// S2-Attention's shard: stride S = 4, block 128, offset -1, head_step -sigma.
// CHECK-LABEL: func.func @strided_all_params
// CHECK: mask(#attn.strided<stride = 4, block = 128, offset = -1, head_step = -1>)
func.func @strided_all_params(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.strided<stride = 4, block = 128, offset = -1, head_step = -1>)
       : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32> -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

// CHECK-LABEL: func.func @dilated
// CHECK: mask(#attn.and<[#attn.causal, #attn.window<left = 511, right = 0>, #attn.dilated<2>]>)
func.func @dilated(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal, #attn.window<left = 511, right = 0>, #attn.dilated<2>]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @chunked
// CHECK: mask(#attn.chunked<8192>)
func.func @chunked(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.chunked<8192>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @prefix_lm
// CHECK: mask(#attn.prefix_lm<3>)
// CHECK: mask(#attn.prefix_lm<0>)
func.func @prefix_lm(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v mask(#attn.prefix_lm<3>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o1 = attn.attention %q, %k, %v mask(#attn.prefix_lm<0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %o1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @document
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} segment_ids(%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : tensor<2x8xi32>, tensor<2x16xi32>) mask(#attn.document) :
func.func @document(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x16x16xf32>, %v: tensor<2x2x16x16xf32>,
                    %qs: tensor<2x8xi32>, %ks: tensor<2x16xi32>) -> tensor<2x2x8x16xf32> {
  %o = attn.attention %q, %k, %v segment_ids(%qs, %ks : tensor<2x8xi32>, tensor<2x16xi32>) mask(#attn.document)
       : tensor<2x2x8x16xf32>, tensor<2x2x16x16xf32>, tensor<2x2x16x16xf32> -> tensor<2x2x8x16xf32>
  return %o : tensor<2x2x8x16xf32>
}

// Packed documents: causal within each document, dynamic shapes, i64 ids.
// CHECK-LABEL: func.func @document_causal_dynamic
// CHECK: segment_ids(%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : tensor<?x?xi64>, tensor<?x?xi64>) mask(#attn.and<[#attn.causal, #attn.document]>)
func.func @document_causal_dynamic(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
                                   %ids: tensor<?x?xi64>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v segment_ids(%ids, %ids : tensor<?x?xi64>, tensor<?x?xi64>)
       mask(#attn.and<[#attn.causal, #attn.document]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Per-(batch, head) layout and a layout broadcast over batch and heads.
// CHECK-LABEL: func.func @block_sparse
// CHECK: block_layout(%{{[a-z0-9_]+}} : tensor<2x4x4x8xi1>) mask(#attn.block_sparse<block_q = 64, block_kv = 32>)
// CHECK: block_layout(%{{[a-z0-9_]+}} : tensor<1x1x?x?xi8>) mask(#attn.and<[#attn.causal, #attn.block_sparse<block_q = 128, block_kv = 128>]>)
func.func @block_sparse(%q: tensor<2x4x256x64xf16>, %k: tensor<2x4x256x64xf16>, %v: tensor<2x4x256x64xf16>,
                        %layout: tensor<2x4x4x8xi1>, %shared: tensor<1x1x?x?xi8>) -> (tensor<2x4x256x64xf16>, tensor<2x4x256x64xf16>) {
  %o0 = attn.attention %q, %k, %v block_layout(%layout : tensor<2x4x4x8xi1>)
        mask(#attn.block_sparse<block_q = 64, block_kv = 32>)
       : tensor<2x4x256x64xf16>, tensor<2x4x256x64xf16>, tensor<2x4x256x64xf16> -> tensor<2x4x256x64xf16>
  %o1 = attn.attention %q, %k, %v block_layout(%shared : tensor<1x1x?x?xi8>)
        mask(#attn.and<[#attn.causal, #attn.block_sparse<block_q = 128, block_kv = 128>]>)
       : tensor<2x4x256x64xf16>, tensor<2x4x256x64xf16>, tensor<2x4x256x64xf16> -> tensor<2x4x256x64xf16>
  return %o0, %o1 : tensor<2x4x256x64xf16>, tensor<2x4x256x64xf16>
}

// CHECK-LABEL: func.func @neighborhood_1d
// CHECK: mask(#attn.neighborhood<grid = [64], kernel = [7]>)
// CHECK: mask(#attn.neighborhood<grid = [-1], kernel = [7], dilation = [4], causal = [true]>)
func.func @neighborhood_1d(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) {
  %o0 = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [64], kernel = [7]>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  %o1 = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [-1], kernel = [7], dilation = [4], causal = [true]>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o0, %o1 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
}

// CHECK-LABEL: func.func @neighborhood_2d
// CHECK: mask(#attn.neighborhood<grid = [8, 8], kernel = [3, 3]>)
// CHECK: mask(#attn.neighborhood<grid = [8, -1], kernel = [3, 5], dilation = [2, 1]>)
func.func @neighborhood_2d(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) {
  %o0 = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [8, 8], kernel = [3, 3]>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  %o1 = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [8, -1], kernel = [3, 5], dilation = [2, 1]>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o0, %o1 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
}

// Video: causal in time, 2-D neighborhood in space, dynamic sequence length.
// CHECK-LABEL: func.func @neighborhood_3d
// CHECK: mask(#attn.neighborhood<grid = [-1, 16, 16], kernel = [4, 7, 7], dilation = [1, 2, 2], causal = [true, false, false]>)
func.func @neighborhood_3d(%q: tensor<1x2x?x16xbf16>, %k: tensor<1x2x?x16xbf16>, %v: tensor<1x2x?x16xbf16>) -> tensor<1x2x?x16xbf16> {
  %o = attn.attention %q, %k, %v
       mask(#attn.neighborhood<grid = [-1, 16, 16], kernel = [4, 7, 7], dilation = [1, 2, 2], causal = [true, false, false]>)
       : tensor<1x2x?x16xbf16>, tensor<1x2x?x16xbf16>, tensor<1x2x?x16xbf16> -> tensor<1x2x?x16xbf16>
  return %o : tensor<1x2x?x16xbf16>
}

// CHECK-LABEL: func.func @and_or_not
// CHECK: mask(#attn.and<[#attn.causal, #attn.or<[#attn.sinks<4>, #attn.window<left = 255, right = 0>]>]>)
// CHECK: mask(#attn.or<[#attn.and<[#attn.causal, #attn.not<#attn.chunked<16>>]>, #attn.not<#attn.not<#attn.prefix_lm<2>>>]>)
// CHECK: mask(#attn.not<#attn.and<[#attn.window<left = 1, right = 1>]>>)
func.func @and_or_not(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal, #attn.or<[#attn.sinks<4>, #attn.window<left = 255, right = 0>]>]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o1 = attn.attention %q, %k, %v
       mask(#attn.or<[#attn.and<[#attn.causal, #attn.not<#attn.chunked<16>>]>, #attn.not<#attn.not<#attn.prefix_lm<2>>>]>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o2 = attn.attention %q, %k, %v
       mask(#attn.not<#attn.and<[#attn.window<left = 1, right = 1>]>>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %o1, %o2 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// DuoAttention: retrieval heads (causal) and streaming heads (sinks + window).
// CHECK-LABEL: func.func @per_head_with_heads
// CHECK: mask(#attn.per_head<masks = [#attn.causal, #attn.and<[#attn.causal, #attn.or<[#attn.sinks<4>, #attn.window<left = 255, right = 0>]>]>], heads = [0, 1, 1, 0]>)
func.func @per_head_with_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %o = attn.attention %q, %k, %v
       mask(#attn.per_head<masks = [#attn.causal,
                                    #attn.and<[#attn.causal, #attn.or<[#attn.sinks<4>,
                                               #attn.window<left = 255, right = 0>]>]>],
                           heads = [0, 1, 1, 0]>)
       : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// CHECK-LABEL: func.func @per_head_without_heads
// CHECK: mask(#attn.per_head<masks = [#attn.full, #attn.causal, #attn.window<left = 3, right = 0>]>)
// CHECK: mask(#attn.and<[#attn.causal, #attn.per_head<masks = [#attn.full, #attn.chunked<4>, #attn.dilated<2>]>]>)
func.func @per_head_without_heads(%q: tensor<1x3x8x16xf32>, %k: tensor<1x3x8x16xf32>, %v: tensor<1x3x8x16xf32>) -> (tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v
       mask(#attn.per_head<masks = [#attn.full, #attn.causal, #attn.window<left = 3, right = 0>]>)
       : tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32> -> tensor<1x3x8x16xf32>
  %o1 = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal, #attn.per_head<masks = [#attn.full, #attn.chunked<4>, #attn.dilated<2>]>]>)
       : tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32> -> tensor<1x3x8x16xf32>
  return %o0, %o1 : tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>
}

//===----------------------------------------------------------------------===//
// Score modifications and bias
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @softcap
// CHECK: mask(#attn.causal) score_mods([#attn.softcap<5.000000e+01>])
// CHECK: score_mods([#attn.softcap<3.000000e+01>, #attn.softcap<2.500000e-01>])
func.func @softcap(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v mask(#attn.causal) score_mods([#attn.softcap<50>])
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o1 = attn.attention %q, %k, %v score_mods([#attn.softcap<3.0e1>, #attn.softcap<0.25>])
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %o1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @alibi_default_slopes
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} mask(#attn.causal) score_mods([#attn.alibi]) :
func.func @alibi_default_slopes(%q: tensor<1x8x8x16xf32>, %k: tensor<1x8x8x16xf32>, %v: tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal) score_mods([#attn.alibi])
       : tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32> -> tensor<1x8x8x16xf32>
  return %o : tensor<1x8x8x16xf32>
}

// CHECK-LABEL: func.func @alibi_slopes_operand
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} alibi_slopes(%{{[a-z0-9_]+}} : tensor<8xf32>) mask(#attn.causal) score_mods([#attn.alibi, #attn.softcap<2.000000e+01>]) :
// CHECK: alibi_slopes(%{{[a-z0-9_]+}} : tensor<?xbf16>) score_mods([#attn.alibi]) :
func.func @alibi_slopes_operand(%q: tensor<1x8x8x16xf32>, %k: tensor<1x8x8x16xf32>, %v: tensor<1x8x8x16xf32>,
                                %m: tensor<8xf32>, %md: tensor<?xbf16>) -> (tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v alibi_slopes(%m : tensor<8xf32>) mask(#attn.causal)
        score_mods([#attn.alibi, #attn.softcap<20.0>])
       : tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32> -> tensor<1x8x8x16xf32>
  %o1 = attn.attention %q, %k, %v alibi_slopes(%md : tensor<?xbf16>) score_mods([#attn.alibi])
       : tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32> -> tensor<1x8x8x16xf32>
  return %o0, %o1 : tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>
}

// Full bias, and biases broadcast over batch, heads, query or key.
// CHECK-LABEL: func.func @bias_broadcast
// CHECK: bias(%{{[a-z0-9_]+}} : tensor<2x4x8x16xf32>) :
// CHECK: bias(%{{[a-z0-9_]+}} : tensor<1x4x8x16xf32>) :
// CHECK: bias(%{{[a-z0-9_]+}} : tensor<2x1x1x16xf16>) mask(#attn.causal) :
// CHECK: bias(%{{[a-z0-9_]+}} : tensor<1x1x8x1xbf16>) :
// CHECK: bias(%{{[a-z0-9_]+}} : tensor<?x?x?x?xf32>) :
func.func @bias_broadcast(%q: tensor<2x4x8x32xf32>, %k: tensor<2x4x16x32xf32>, %v: tensor<2x4x16x32xf32>,
                          %b0: tensor<2x4x8x16xf32>, %b1: tensor<1x4x8x16xf32>, %b2: tensor<2x1x1x16xf16>,
                          %b3: tensor<1x1x8x1xbf16>, %b4: tensor<?x?x?x?xf32>)
    -> (tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>) {
  %o0 = attn.attention %q, %k, %v bias(%b0 : tensor<2x4x8x16xf32>)
       : tensor<2x4x8x32xf32>, tensor<2x4x16x32xf32>, tensor<2x4x16x32xf32> -> tensor<2x4x8x32xf32>
  %o1 = attn.attention %q, %k, %v bias(%b1 : tensor<1x4x8x16xf32>)
       : tensor<2x4x8x32xf32>, tensor<2x4x16x32xf32>, tensor<2x4x16x32xf32> -> tensor<2x4x8x32xf32>
  %o2 = attn.attention %q, %k, %v bias(%b2 : tensor<2x1x1x16xf16>) mask(#attn.causal)
       : tensor<2x4x8x32xf32>, tensor<2x4x16x32xf32>, tensor<2x4x16x32xf32> -> tensor<2x4x8x32xf32>
  %o3 = attn.attention %q, %k, %v bias(%b3 : tensor<1x1x8x1xbf16>)
       : tensor<2x4x8x32xf32>, tensor<2x4x16x32xf32>, tensor<2x4x16x32xf32> -> tensor<2x4x8x32xf32>
  %o4 = attn.attention %q, %k, %v bias(%b4 : tensor<?x?x?x?xf32>)
       : tensor<2x4x8x32xf32>, tensor<2x4x16x32xf32>, tensor<2x4x16x32xf32> -> tensor<2x4x8x32xf32>
  return %o0, %o1, %o2, %o3, %o4 : tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>, tensor<2x4x8x32xf32>
}

//===----------------------------------------------------------------------===//
// Normalization and scale
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @normalize_softmax
// CHECK: normalization(<softmax>) :
func.func @normalize_softmax(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %v normalization(#attn.normalize<softmax>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// A zero bias is the default and is elided.
// CHECK-LABEL: func.func @normalize_sigmoid
// CHECK: normalization(<sigmoid>) :
// CHECK: normalization(<sigmoid, bias = -5.000000e+00>) :
// CHECK: normalization(<sigmoid, bias = 2.500000e-01, l1>) :
// CHECK: normalization(<sigmoid, l1>) :
// CHECK: normalization(<sigmoid>) :
func.func @normalize_sigmoid(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>)
    -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v normalization(#attn.normalize<sigmoid>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o1 = attn.attention %q, %k, %v normalization(#attn.normalize<sigmoid, bias = -5.0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o2 = attn.attention %q, %k, %v normalization(#attn.normalize<sigmoid, l1, bias = 0.25>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o3 = attn.attention %q, %k, %v normalization(#attn.normalize<sigmoid, l1>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o4 = attn.attention %q, %k, %v normalization(#attn.normalize<sigmoid, bias = 0.0>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %o1, %o2, %o3, %o4 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @normalize_softplus
// CHECK: normalization(<softplus>) :
// CHECK: normalization(<softplus, l1>) :
func.func @normalize_softplus(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v normalization(#attn.normalize<softplus>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o1 = attn.attention %q, %k, %v normalization(#attn.normalize<softplus, l1>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %o1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @normalize_relu
// CHECK: normalization(<relu>) :
// CHECK: normalization(<relu, l1>) :
func.func @normalize_relu(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v normalization(#attn.normalize<relu>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o1 = attn.attention %q, %k, %v normalization(#attn.normalize<relu, l1>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %o1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @normalize_identity
// CHECK: mask(#attn.causal) normalization(<identity>) :
// CHECK: normalization(<identity, l1>) :
func.func @normalize_identity(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v mask(#attn.causal) normalization(#attn.normalize<identity>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o1 = attn.attention %q, %k, %v normalization(#attn.normalize<identity, l1>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %o1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// CHECK-LABEL: func.func @scale
// CHECK: scale(1.250000e-01) :
// CHECK: mask(#attn.causal) scale(-2.000000e+00) :
// CHECK: scale(0.083333333333333329) :
func.func @scale(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %o0 = attn.attention %q, %k, %v scale(0.125)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o1 = attn.attention %q, %k, %v mask(#attn.causal) scale(-2.0)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  %o2 = attn.attention %q, %k, %v scale(0.083333333333333329)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %o1, %o2 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

//===----------------------------------------------------------------------===//
// Results, head structure, element types, shapes
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @lse_result
// CHECK: %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} = attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} mask(#attn.causal) : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>, tensor<2x4x8xf32>
// CHECK: %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} = attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} normalization(<softmax>) : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>
func.func @lse_result(%q: tensor<2x4x8x16xf32>, %qd: tensor<?x?x?x?xbf16>)
    -> (tensor<2x4x8x16xf32>, tensor<2x4x8xf32>, tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>) {
  %o, %lse = attn.attention %q, %q, %q mask(#attn.causal)
       : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>, tensor<2x4x8xf32>
  %od, %lsed = attn.attention %qd, %qd, %qd normalization(#attn.normalize<softmax>)
       : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>
  return %o, %lse, %od, %lsed : tensor<2x4x8x16xf32>, tensor<2x4x8xf32>, tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>
}

// GQA (8 query heads over 2 KV heads, value head_dim != key head_dim,
// Nq != Nk) and MQA (1 KV head).
// CHECK-LABEL: func.func @gqa_mqa
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} mask(#attn.causal) : tensor<2x8x128x64xf16>, tensor<2x2x256x64xf16>, tensor<2x2x256x32xf16> -> tensor<2x8x128x32xf16>
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : tensor<2x8x1x64xf16>, tensor<2x1x256x64xf16>, tensor<2x1x256x64xf16> -> tensor<2x8x1x64xf16>
func.func @gqa_mqa(%q: tensor<2x8x128x64xf16>, %k: tensor<2x2x256x64xf16>, %v: tensor<2x2x256x32xf16>,
                   %qd: tensor<2x8x1x64xf16>, %k1: tensor<2x1x256x64xf16>) -> (tensor<2x8x128x32xf16>, tensor<2x8x1x64xf16>) {
  %o0 = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<2x8x128x64xf16>, tensor<2x2x256x64xf16>, tensor<2x2x256x32xf16> -> tensor<2x8x128x32xf16>
  %o1 = attn.attention %qd, %k1, %k1
       : tensor<2x8x1x64xf16>, tensor<2x1x256x64xf16>, tensor<2x1x256x64xf16> -> tensor<2x8x1x64xf16>
  return %o0, %o1 : tensor<2x8x128x32xf16>, tensor<2x8x1x64xf16>
}

// CHECK-LABEL: func.func @element_types
// CHECK: : tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16> -> tensor<1x2x8x16xf16>, tensor<1x2x8xf32>
// CHECK: : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xbf16>
// CHECK: : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
func.func @element_types(%h: tensor<1x2x8x16xf16>, %b: tensor<1x2x8x16xbf16>, %f: tensor<1x2x8x16xf32>)
    -> (tensor<1x2x8x16xf16>, tensor<1x2x8xf32>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xf32>) {
  %o0, %l0 = attn.attention %h, %h, %h mask(#attn.causal)
       : tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16> -> tensor<1x2x8x16xf16>, tensor<1x2x8xf32>
  %o1 = attn.attention %b, %b, %b mask(#attn.causal)
       : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16> -> tensor<1x2x8x16xbf16>
  %o2 = attn.attention %f, %f, %f mask(#attn.causal)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o0, %l0, %o1, %o2 : tensor<1x2x8x16xf16>, tensor<1x2x8xf32>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xf32>
}

// Dynamic dims mixed with static ones; the verifier only compares extents
// that are static on both sides.
// CHECK-LABEL: func.func @dynamic_shapes
// CHECK: : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
// CHECK: : tensor<?x8x?x64xbf16>, tensor<2x?x512x?xbf16>, tensor<?x2x?x128xbf16> -> tensor<2x?x?x?xbf16>, tensor<?x8x?xf32>
func.func @dynamic_shapes(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
                          %q2: tensor<?x8x?x64xbf16>, %k2: tensor<2x?x512x?xbf16>, %v2: tensor<?x2x?x128xbf16>)
    -> (tensor<?x?x?x?xf32>, tensor<2x?x?x?xbf16>, tensor<?x8x?xf32>) {
  %o0 = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %o1, %l1 = attn.attention %q2, %k2, %v2 mask(#attn.window<left = 127, right = 0>)
       : tensor<?x8x?x64xbf16>, tensor<2x?x512x?xbf16>, tensor<?x2x?x128xbf16> -> tensor<2x?x?x?xbf16>, tensor<?x8x?xf32>
  return %o0, %o1, %l1 : tensor<?x?x?x?xf32>, tensor<2x?x?x?xbf16>, tensor<?x8x?xf32>
}

//===----------------------------------------------------------------------===//
// Regions
//===----------------------------------------------------------------------===//

// A region mask without captures: |i - j| < 256 for j <= i, or a sink.
// CHECK-LABEL: func.func @mask_fn
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} mask_fn {
// CHECK-NEXT: ^bb0(%[[B:[a-z0-9_]+]]: index, %[[H:[a-z0-9_]+]]: index, %[[I:[a-z0-9_]+]]: index, %[[J:[a-z0-9_]+]]: index):
// CHECK: %[[D:[a-z0-9_]+]] = arith.subi %[[I]], %[[J]] : index
// CHECK: %[[NEAR:[a-z0-9_]+]] = arith.cmpi ult, %[[D]], %{{[a-z0-9_]+}} : index
// CHECK: %[[SINK:[a-z0-9_]+]] = arith.cmpi ult, %[[J]], %{{[a-z0-9_]+}} : index
// CHECK: %[[OK:[a-z0-9_]+]] = arith.ori %[[NEAR]], %[[SINK]] : i1
// CHECK: attn.yield %[[OK]] : i1
// CHECK-NEXT: } : tensor<1x2x8x16xf32>
func.func @mask_fn(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %v
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index):
         %c256 = arith.constant 256 : index
         %c4 = arith.constant 4 : index
         %d = arith.subi %i, %j : index
         %near = arith.cmpi ult, %d, %c256 : index
         %sink = arith.cmpi ult, %j, %c4 : index
         %ok = arith.ori %near, %sink : i1
         attn.yield %ok : i1
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// A score_mod region with math ops and no captures (tanh softcap at 30).
// CHECK-LABEL: func.func @score_mod
// CHECK: mask(#attn.causal) score_mod {
// CHECK-NEXT: ^bb0(%[[S:[a-z0-9_]+]]: f32, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index):
// CHECK: %[[X:[a-z0-9_]+]] = arith.divf %[[S]], %{{[a-z0-9_]+}} : f32
// CHECK: %[[T:[a-z0-9_]+]] = math.tanh %[[X]] : f32
// CHECK: %[[Y:[a-z0-9_]+]] = arith.mulf %[[T]], %{{[a-z0-9_]+}} : f32
// CHECK: attn.yield %[[Y]] : f32
func.func @score_mod(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index):
         %cap = arith.constant 30.0 : f32
         %x = arith.divf %s, %cap : f32
         %t = math.tanh %x : f32
         %y = arith.mulf %t, %cap : f32
         attn.yield %y : f32
       }
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// Captures read with tensor.extract / tensor.dim in both regions: a
// per-(head, relative distance) bias table and per-batch valid lengths.
// CHECK-LABEL: func.func @regions_with_captures
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} captures(%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : tensor<?x?xf32>, tensor<?xindex>) mask(#attn.causal) mask_fn {
// CHECK-NEXT: ^bb0(%[[B:[a-z0-9_]+]]: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %[[J:[a-z0-9_]+]]: index, %{{[a-z0-9_]+}}: tensor<?x?xf32>, %[[LENS:[a-z0-9_]+]]: tensor<?xindex>):
// CHECK: %[[LEN:[a-z0-9_]+]] = tensor.extract %[[LENS]][%[[B]]] : tensor<?xindex>
// CHECK: %[[IN:[a-z0-9_]+]] = arith.cmpi ult, %[[J]], %[[LEN]] : index
// CHECK: attn.yield %[[IN]] : i1
// CHECK-NEXT: } score_mod {
// CHECK-NEXT: ^bb0(%[[S:[a-z0-9_]+]]: f32, %{{[a-z0-9_]+}}: index, %[[H:[a-z0-9_]+]]: index, %[[I:[a-z0-9_]+]]: index, %[[J2:[a-z0-9_]+]]: index, %[[TABLE:[a-z0-9_]+]]: tensor<?x?xf32>, %{{[a-z0-9_]+}}: tensor<?xindex>):
// CHECK: tensor.dim %[[TABLE]], %{{[a-z0-9_]+}} : tensor<?x?xf32>
// CHECK: %[[BIAS:[a-z0-9_]+]] = tensor.extract %[[TABLE]][%[[H]], %{{[a-z0-9_]+}}] : tensor<?x?xf32>
// CHECK: %[[R:[a-z0-9_]+]] = arith.addf %[[S]], %[[BIAS]] : f32
// CHECK: attn.yield %[[R]] : f32
// CHECK-NEXT: } : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
func.func @regions_with_captures(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
                                 %table: tensor<?x?xf32>, %lens: tensor<?xindex>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v captures(%table, %lens : tensor<?x?xf32>, tensor<?xindex>)
       mask(#attn.causal)
       mask_fn {
       ^bb0(%b: index, %h: index, %i: index, %j: index, %t: tensor<?x?xf32>, %l: tensor<?xindex>):
         %len = tensor.extract %l[%b] : tensor<?xindex>
         %in = arith.cmpi ult, %j, %len : index
         attn.yield %in : i1
       }
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %t: tensor<?x?xf32>, %l: tensor<?xindex>):
         %c1 = arith.constant 1 : index
         %n = tensor.dim %t, %c1 : tensor<?x?xf32>
         %d = arith.subi %i, %j : index
         %last = arith.subi %n, %c1 : index
         %dc = arith.minui %d, %last : index
         %bias = tensor.extract %t[%h, %dc] : tensor<?x?xf32>
         %r = arith.addf %s, %bias : f32
         attn.yield %r : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Every clause at once, in the documented order.
// CHECK-LABEL: func.func @every_form
// CHECK: %{{[a-z0-9_]+}} = attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias(%{{[a-z0-9_]+}} : tensor<1x?x?x?xf32>)
// CHECK-SAME: segment_ids(%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : tensor<?x?xi32>, tensor<?x?xi32>)
// CHECK-SAME: block_layout(%{{[a-z0-9_]+}} : tensor<1x1x?x?xi1>)
// CHECK-SAME: alibi_slopes(%{{[a-z0-9_]+}} : tensor<?xf32>)
// CHECK-SAME: captures(%{{[a-z0-9_]+}} : tensor<?xf32>)
// CHECK-SAME: mask(#attn.and<[#attn.causal, #attn.document, #attn.block_sparse<block_q = 64, block_kv = 64>, #attn.or<[#attn.sinks<4>, #attn.window<left = 255, right = 0>]>]>)
// CHECK-SAME: score_mods([#attn.softcap<5.000000e+01>, #attn.alibi])
// CHECK-SAME: normalization(<sigmoid, bias = -5.000000e+00>)
// CHECK-SAME: scale(1.250000e-01)
// CHECK-SAME: mask_fn {
// CHECK: attn.yield %{{[a-z0-9_]+}} : i1
// CHECK-NEXT: } score_mod {
// CHECK: tensor.extract
// CHECK: attn.yield %{{[a-z0-9_]+}} : f32
// CHECK-NEXT: } : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
func.func @every_form(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>,
                      %bias: tensor<1x?x?x?xf32>, %qs: tensor<?x?xi32>, %ks: tensor<?x?xi32>,
                      %layout: tensor<1x1x?x?xi1>, %slopes: tensor<?xf32>, %t: tensor<?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v bias(%bias : tensor<1x?x?x?xf32>)
       segment_ids(%qs, %ks : tensor<?x?xi32>, tensor<?x?xi32>)
       block_layout(%layout : tensor<1x1x?x?xi1>)
       alibi_slopes(%slopes : tensor<?xf32>)
       captures(%t : tensor<?xf32>)
       mask(#attn.and<[#attn.causal, #attn.document, #attn.block_sparse<block_q = 64, block_kv = 64>,
                       #attn.or<[#attn.sinks<4>, #attn.window<left = 255, right = 0>]>]>)
       score_mods([#attn.softcap<50.0>, #attn.alibi])
       normalization(#attn.normalize<sigmoid, bias = -5.0>)
       scale(0.125)
       mask_fn {
       ^bb0(%b0: index, %h: index, %i: index, %j: index, %tt: tensor<?xf32>):
         %c = arith.cmpi ne, %i, %j : index
         attn.yield %c : i1
       }
       score_mod {
       ^bb0(%s: f32, %b0: index, %h: index, %i: index, %j: index, %tt: tensor<?xf32>):
         %x = tensor.extract %tt[%h] : tensor<?xf32>
         %y = arith.mulf %s, %x : f32
         attn.yield %y : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

//===----------------------------------------------------------------------===//
// Head maps, sink logits, output gate, weight_mod, GNA stride
//===----------------------------------------------------------------------===//

// Neighborhood with a GNA stride (stride = kernel: window partition).
// CHECK-LABEL: func.func @neighborhood_stride
// CHECK: mask(#attn.neighborhood<grid = [8, 8], kernel = [4, 4], stride = [4, 4]>)
// CHECK: mask(#attn.neighborhood<grid = [-1], kernel = [7], dilation = [2], causal = [true], stride = [3]>)
func.func @neighborhood_stride(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x64x16xf32>, %v: tensor<1x2x64x16xf32>) -> (tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) {
  %o0 = attn.attention %q, %k, %v mask(#attn.neighborhood<grid = [8, 8], kernel = [4, 4], stride = [4, 4]>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  %o1 = attn.attention %q, %k, %v mask(#attn.neighborhood<stride = [3], grid = [-1], kernel = [7], dilation = [2], causal = [true]>)
       : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32> -> tensor<1x2x64x16xf32>
  return %o0, %o1 : tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
}

// Separate key and value head maps (the value has its own head count), a
// shared K/V map given twice, per-batch maps.
// CHECK-LABEL: func.func @head_maps
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} k_head_map(%{{[a-z0-9_]+}} : tensor<6xi32>) v_head_map(%{{[a-z0-9_]+}} : tensor<6xi64>) mask(#attn.causal) : tensor<1x6x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x3x8x32xf32> -> tensor<1x6x8x32xf32>
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %[[K:[a-z0-9_]+]] k_head_map(%[[M:[a-z0-9_]+]] : tensor<?x?xi32>) v_head_map(%[[M]] : tensor<?x?xi32>) :
func.func @head_maps(%q: tensor<1x6x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x3x8x32xf32>,
                     %km: tensor<6xi32>, %vm: tensor<6xi64>,
                     %q2: tensor<?x?x?x?xf32>, %k2: tensor<?x?x?x?xf32>, %m: tensor<?x?xi32>) -> (tensor<1x6x8x32xf32>, tensor<?x?x?x?xf32>) {
  %o0 = attn.attention %q, %k, %v k_head_map(%km : tensor<6xi32>) v_head_map(%vm : tensor<6xi64>) mask(#attn.causal)
       : tensor<1x6x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x3x8x32xf32> -> tensor<1x6x8x32xf32>
  %o1 = attn.attention %q2, %k2, %k2 k_head_map(%m : tensor<?x?xi32>) v_head_map(%m : tensor<?x?xi32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o0, %o1 : tensor<1x6x8x32xf32>, tensor<?x?x?x?xf32>
}

// Sink logits with the logsumexp; an output gate broadcast over the queries.
// CHECK-LABEL: func.func @sinks_and_gate
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} sink_logits(%{{[a-z0-9_]+}} : tensor<2xf32>) mask(#attn.causal) : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
// CHECK: attn.attention %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} output_gate(%{{[a-z0-9_]+}} : tensor<1x2x1xbf16>) :
func.func @sinks_and_gate(%q: tensor<1x2x8x16xf32>, %s: tensor<2xf32>, %g: tensor<1x2x1xbf16>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, tensor<1x2x8x16xf32>) {
  %o, %l = attn.attention %q, %q, %q sink_logits(%s : tensor<2xf32>) mask(#attn.causal)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  %o1 = attn.attention %q, %q, %q output_gate(%g : tensor<1x2x1xbf16>)
       : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o, %l, %o1 : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, tensor<1x2x8x16xf32>
}

// A weight_mod region with a capture (signed weights), after a score_mod.
// CHECK-LABEL: func.func @weight_mod
// CHECK: captures(%{{[a-z0-9_]+}} : tensor<?xf32>) mask(#attn.causal) score_mod {
// CHECK: math.absf
// CHECK: attn.yield %{{[a-z0-9_]+}} : f32
// CHECK-NEXT: } weight_mod {
// CHECK-NEXT: ^bb0(%{{[a-z0-9_]+}}: f32, %{{[a-z0-9_]+}}: f32, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: index, %{{[a-z0-9_]+}}: tensor<?xf32>):
// CHECK: math.copysign
// CHECK: attn.yield %{{[a-z0-9_]+}} : f32
// CHECK-NEXT: } :
func.func @weight_mod(%q: tensor<?x?x?x?xf32>, %t: tensor<?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q captures(%t : tensor<?xf32>) mask(#attn.causal)
       score_mod {
       ^bb0(%s: f32, %b: index, %h: index, %i: index, %j: index, %tt: tensor<?xf32>):
         %a = math.absf %s : f32
         attn.yield %a : f32
       }
       weight_mod {
       ^bb0(%w: f32, %r: f32, %b: index, %h: index, %i: index, %j: index, %tt: tensor<?xf32>):
         %x = tensor.extract %tt[%h] : tensor<?xf32>
         %sw = math.copysign %w, %r : f32
         %y = arith.mulf %sw, %x : f32
         attn.yield %y : f32
       }
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Linear attention: a feature map on q and k, a decay per key position.
// CHECK-LABEL: func.func @linear
// CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} decay(%{{.*}} : tensor<?x?x?xf32>) feature_map(<elu_plus_one>) mask(#attn.causal) normalization(<identity, l1>) scale(1.000000e+00)
func.func @linear(%q: tensor<?x?x?x?xf32>, %a: tensor<?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %q, %q decay(%a : tensor<?x?x?xf32>)
       feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func.func @feature_maps
// CHECK: feature_map(<relu>)
// CHECK: feature_map(<sigmoid>)
// CHECK: feature_map(<exp>)
// CHECK: feature_map(<silu>)
func.func @feature_maps(%q: tensor<1x1x4x8xf32>) -> (tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>) {
  %a = attn.attention %q, %q, %q feature_map(#attn.feature_map<relu>) : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  %b = attn.attention %q, %q, %q feature_map(#attn.feature_map<sigmoid>) : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  %c = attn.attention %q, %q, %q feature_map(#attn.feature_map<exp>) : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  %d = attn.attention %q, %q, %q feature_map(#attn.feature_map<silu>) : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  return %a, %b, %c, %d : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
}

// Feature maps that change the feature dimension: hedgehog with its weight
// and bias in the feature_map group (one map per head, or shared), taylor2.
// CHECK-LABEL: func.func @expanding_feature_maps
// CHECK: feature_map(<hedgehog>, %{{.*}}, %{{.*}} : tensor<?x?x?xf32>, tensor<?x?xf32>) mask(#attn.causal) normalization(<identity, l1>)
// CHECK: feature_map(<hedgehog>, %{{.*}}, %{{.*}} : tensor<1x3x8xbf16>, tensor<1x3xf32>)
// CHECK: feature_map(<taylor2>) mask(#attn.causal)
func.func @expanding_feature_maps(%q: tensor<?x?x?x?xf32>, %w: tensor<?x?x?xf32>, %b: tensor<?x?xf32>,
                                  %p: tensor<1x2x4x8xf32>, %w1: tensor<1x3x8xbf16>, %b1: tensor<1x3xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) {
  %a = attn.attention %q, %q, %q
       feature_map(#attn.feature_map<hedgehog>, %w, %b : tensor<?x?x?xf32>, tensor<?x?xf32>)
       mask(#attn.causal) normalization(#attn.normalize<identity, l1>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %c = attn.attention %p, %p, %p
       feature_map(#attn.feature_map<hedgehog>, %w1, %b1 : tensor<1x3x8xbf16>, tensor<1x3xf32>)
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  %d = attn.attention %p, %p, %p feature_map(#attn.feature_map<taylor2>) mask(#attn.causal)
       : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %a, %c, %d : tensor<?x?x?x?xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
}
