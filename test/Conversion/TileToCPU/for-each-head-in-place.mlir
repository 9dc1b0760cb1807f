// RUN: attn-opt %s -split-input-file -attn-to-tile='tile-q=16 tile-kv=32' -convert-attn-tile-to-vector='vector-width=16' | FileCheck %s

// The per-call prologues over (batch, head) (forEachHead: value probes,
// packed keys and values, in-spec quantization) write each head's result
// into its slice of the shared output, not into a tensor.empty of the body:
// One-Shot Bufferize then neither allocates a buffer per (batch, head) nor
// copies it into the shared one. The destination slice drops the two unit
// dimensions; the parallel_insert_slice's sizes spell its type.

// CHECK-LABEL: func.func @causal
// The value tiles' probes [B, H, ceil(N / 32)].
// CHECK:       scf.forall (%[[B:[^,]+]], %[[H:[^)]+]]) in ({{.*}}) shared_outs(%[[OUT:[^ ]+]] = %{{.*}}) -> (tensor<?x?x?xf32>) {
// CHECK-NEXT:    %[[DEST:.*]] = tensor.extract_slice %[[OUT]][%[[B]], %[[H]], 0] [1, 1, %[[T:.*]]] [1, 1, 1] : tensor<?x?x?xf32> to tensor<?xf32>
// CHECK-NOT:     tensor.empty
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[DEST]]) -> (tensor<?xf32>)
// CHECK-NOT:     tensor.empty
// CHECK:         scf.forall.in_parallel {
// CHECK-NEXT:      tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[B]], %[[H]], 0] [1, 1, %[[T]]] [1, 1, 1] : tensor<?xf32> into tensor<?x?x?xf32>
// The keys packed by key tiles [B, H, ceil(N / 32), D, 32]: the static
// extent stays static in the slice.
// CHECK:       scf.forall (%[[B:[^,]+]], %[[H:[^)]+]]) in ({{.*}}) shared_outs(%[[OUT:[^ ]+]] = %{{.*}}) -> (tensor<?x?x?x?x32xf32>) {
// CHECK-NEXT:    %[[DEST:.*]] = tensor.extract_slice %[[OUT]][%[[B]], %[[H]], 0, 0, 0] [1, 1, %[[T:.*]], %[[D:.*]], 32] [1, 1, 1, 1, 1] : tensor<?x?x?x?x32xf32> to tensor<?x?x32xf32>
// CHECK-NOT:     tensor.empty
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[DEST]]) -> (tensor<?x?x32xf32>)
// CHECK-NOT:     tensor.empty
// CHECK:         scf.forall.in_parallel {
// CHECK-NEXT:      tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[B]], %[[H]], 0, 0, 0] [1, 1, %[[T]], %[[D]], 32] [1, 1, 1, 1, 1] : tensor<?x?x32xf32> into tensor<?x?x?x?x32xf32>
func.func @causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// CHECK-LABEL: func.func @int8_pv
// Q's quantization: values and block scales, two shared outputs; static
// extents as constants. (K's is written the same way; its centering keeps
// per-channel scratch tensors of its own, not checked here.)
// CHECK:       scf.forall (%[[B:[^,]+]], %[[H:[^)]+]]) in (1, 2) shared_outs(%[[VALUES:[^ ]+]] = %{{[^,]+}}, %[[SCALES:[^ ]+]] = %{{.*}}) -> (tensor<1x2x100x64xi8>, tensor<1x2x?xf32>) {
// CHECK-NEXT:    %[[V:.*]] = tensor.extract_slice %[[VALUES]][%[[B]], %[[H]], 0, 0] [1, 1, 100, 64] [1, 1, 1, 1] : tensor<1x2x100x64xi8> to tensor<100x64xi8>
// CHECK-NEXT:    %[[S:.*]] = tensor.extract_slice %[[SCALES]][%[[B]], %[[H]], 0] [1, 1, %[[C:.*]]] [1, 1, 1] : tensor<1x2x?xf32> to tensor<?xf32>
// CHECK-NOT:     tensor.empty
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[V]], %{{.*}} = %[[S]]) -> (tensor<100x64xi8>, tensor<?xf32>)
// CHECK-NOT:     tensor.empty
// CHECK:         scf.forall.in_parallel {
// CHECK-NEXT:      tensor.parallel_insert_slice %{{.*}} into %[[VALUES]][%[[B]], %[[H]], 0, 0] [1, 1, 100, 64] [1, 1, 1, 1] : tensor<100x64xi8> into tensor<1x2x100x64xi8>
// CHECK-NEXT:      tensor.parallel_insert_slice %{{.*}} into %[[SCALES]][%[[B]], %[[H]], 0] [1, 1, %[[C]]] [1, 1, 1] : tensor<?xf32> into tensor<1x2x?xf32>
// The keys' packing for the quantized scores: a linalg.generic into the slice.
// CHECK:       scf.forall (%[[B:[^,]+]], %[[H:[^)]+]]) in (1, 2) shared_outs(%[[OUT:[^ ]+]] = %{{.*}}) -> (tensor<1x2x?x?xi8>) {
// CHECK-NEXT:    %[[DEST:.*]] = tensor.extract_slice %[[OUT]][%[[B]], %[[H]], 0, 0]
// CHECK-NOT:     tensor.empty
// CHECK:         linalg.generic {{.*}} outs(%[[DEST]] : tensor<?x?xi8>)
// CHECK-NOT:     tensor.empty
// CHECK:         scf.forall.in_parallel {
// CHECK-NEXT:      tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[B]], %[[H]], 0, 0]
// V's per-channel quantization: the scales' absmax starts as zeros in place.
// CHECK:       scf.forall (%[[B:[^,]+]], %[[H:[^)]+]]) in (1, 2) shared_outs(%[[VALUES:[^ ]+]] = %{{[^,]+}}, %[[SCALES:[^ ]+]] = %{{.*}}) -> (tensor<1x2x100x64xi8>, tensor<1x2x64xf32>) {
// CHECK-NEXT:    %[[V:.*]] = tensor.extract_slice %[[VALUES]][%[[B]], %[[H]], 0, 0] [1, 1, 100, 64] [1, 1, 1, 1] : tensor<1x2x100x64xi8> to tensor<100x64xi8>
// CHECK-NEXT:    %[[S:.*]] = tensor.extract_slice %[[SCALES]][%[[B]], %[[H]], 0] [1, 1, 64] [1, 1, 1] : tensor<1x2x64xf32> to tensor<64xf32>
// CHECK-NOT:     tensor.empty
// CHECK:         linalg.fill {{.*}} outs(%[[S]] : tensor<64xf32>)
// CHECK-NOT:     tensor.empty
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[V]]) -> (tensor<100x64xi8>)
// CHECK-NOT:     tensor.empty
// CHECK:         scf.forall.in_parallel {
// CHECK-NEXT:      tensor.parallel_insert_slice %{{.*}} into %[[VALUES]][%[[B]], %[[H]], 0, 0] [1, 1, 100, 64] [1, 1, 1, 1] : tensor<100x64xi8> into tensor<1x2x100x64xi8>
// CHECK-NEXT:      tensor.parallel_insert_slice %{{.*}} into %[[SCALES]][%[[B]], %[[H]], 0] [1, 1, 64] [1, 1, 1] : tensor<64xf32> into tensor<1x2x64xf32>
// The values' packing for the quantized P V.
// CHECK:       scf.forall (%[[B:[^,]+]], %[[H:[^)]+]]) in (1, 2) shared_outs(%[[OUT:[^ ]+]] = %{{.*}}) -> (tensor<1x2x?x?xi8>) {
// CHECK-NEXT:    %[[DEST:.*]] = tensor.extract_slice %[[OUT]][%[[B]], %[[H]], 0, 0]
// CHECK-NOT:     tensor.empty
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[DEST]]) -> (tensor<?x?xi8>)
// CHECK-NOT:     tensor.empty
// CHECK:         scf.forall.in_parallel {
// CHECK-NEXT:      tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[B]], %[[H]], 0, 0]
// CHECK:       scf.forall
func.func @int8_pv(%q: tensor<1x2x100x64xf32>, %k: tensor<1x2x100x64xf32>,
                   %v: tensor<1x2x100x64xf32>) -> tensor<1x2x100x64xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       quantization(#attn.quantized_qk<scheme = int8, pv = int8>)
       : tensor<1x2x100x64xf32>, tensor<1x2x100x64xf32>, tensor<1x2x100x64xf32> -> tensor<1x2x100x64xf32>
  return %o : tensor<1x2x100x64xf32>
}
