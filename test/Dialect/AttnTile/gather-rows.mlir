// RUN: attn-opt %s | FileCheck %s
// RUN: attn-opt %s | attn-opt | FileCheck %s

// The ops of the regrouped selection: the rows that select a key block,
// and tiles gathered from / scattered to those rows.

// CHECK-LABEL: func.func @regrouped
// CHECK: attn_tile.block_rows %{{.*}} column %{{.*}} from %{{.*}} : tensor<?x?xi1> -> tensor<?xindex>
// CHECK: attn_tile.gather_rows %{{.*}}[%{{.*}}, %{{.*}}] rows %{{.*}}[%{{.*}}] count %{{.*}} : tensor<?x?x?x128xbf16>, tensor<?xindex> -> tensor<64x128xf32>
// CHECK: attn_tile.gather_rows %{{.*}} rows %{{.*}}[%{{.*}}] count %{{.*}} : tensor<?x128xf32>, tensor<?xindex> -> tensor<64x128xf32>
// CHECK: attn_tile.gather_rows %{{.*}} rows %{{.*}}[%{{.*}}] count %{{.*}} : tensor<?xf32>, tensor<?xindex> -> tensor<64xf32>
// CHECK: attn_tile.scatter_rows %{{.*}} into %{{.*}} rows %{{.*}}[%{{.*}}] count %{{.*}} : tensor<64x128xf32> into tensor<?x128xf32>, tensor<?xindex>
// CHECK: attn_tile.scatter_rows %{{.*}} into %{{.*}} rows %{{.*}}[%{{.*}}] count %{{.*}} : tensor<64xf32> into tensor<?xf32>, tensor<?xindex>
func.func @regrouped(%members: tensor<?x?xi1>, %q: tensor<?x?x?x128xbf16>,
                     %acc: tensor<?x128xf32>, %max: tensor<?xf32>,
                     %b: index, %h: index, %c: index, %first: index,
                     %g0: index) -> (tensor<?x128xf32>, tensor<?xf32>,
                                     tensor<64x128xf32>) {
  %rows, %n = attn_tile.block_rows %members column %c from %first
      : tensor<?x?xi1> -> tensor<?xindex>
  %qt = attn_tile.gather_rows %q[%b, %h] rows %rows[%g0] count %n
      : tensor<?x?x?x128xbf16>, tensor<?xindex> -> tensor<64x128xf32>
  %at = attn_tile.gather_rows %acc rows %rows[%g0] count %n
      : tensor<?x128xf32>, tensor<?xindex> -> tensor<64x128xf32>
  %mt = attn_tile.gather_rows %max rows %rows[%g0] count %n
      : tensor<?xf32>, tensor<?xindex> -> tensor<64xf32>
  %acc2 = attn_tile.scatter_rows %at into %acc rows %rows[%g0] count %n
      : tensor<64x128xf32> into tensor<?x128xf32>, tensor<?xindex>
  %max2 = attn_tile.scatter_rows %mt into %max rows %rows[%g0] count %n
      : tensor<64xf32> into tensor<?xf32>, tensor<?xindex>
  return %acc2, %max2, %qt : tensor<?x128xf32>, tensor<?xf32>, tensor<64x128xf32>
}
