// RUN: attn-opt %s --attn-cpu-tile-loops | FileCheck %s --implicit-check-not=unrealized_conversion_cast --implicit-check-not=scf.
// RUN: attn-opt %s --attn-to-tile='split-kv=3' --attn-cpu-tile-loops | FileCheck %s --check-prefix=SPLIT --implicit-check-not=unrealized_conversion_cast

// The tile program's work items (batch, head, query tile) reach the LLVM
// dialect as calls of attn_parallel_for with an outlined body; nothing else
// of the pass is left (no unrealized casts, no scf).
// CHECK:     llvm.func @attn_parallel_for(i64, !llvm.ptr, !llvm.ptr)
// CHECK-LABEL: llvm.func @causal(
// CHECK:       %[[BODY:.*]] = llvm.mlir.addressof @causal_work_item : !llvm.ptr
// CHECK:       llvm.call @attn_parallel_for(%{{.*}}, %[[BODY]], %{{.*}}) : (i64, !llvm.ptr, !llvm.ptr) -> ()
// CHECK:       llvm.call @causal_work_item(%{{.*}}, %{{.*}}) : (!llvm.ptr, i64) -> ()
// CHECK-LABEL: llvm.func internal @causal_work_item(%{{.*}}: !llvm.ptr, %{{.*}}: i64)
// CHECK:       llvm.load
// CHECK:       llvm.call @malloc

// Split-KV: the partials, then (after the first call returned) their merge.
// SPLIT-LABEL: llvm.func @causal(
// SPLIT-DAG:   %[[PARTIALS:.*]] = llvm.mlir.addressof @causal_work_item :
// SPLIT-DAG:   %[[MERGE:.*]] = llvm.mlir.addressof @causal_work_item_0 :
// SPLIT:       llvm.call @attn_parallel_for(%{{.*}}, %[[PARTIALS]], %{{.*}})
// SPLIT:       llvm.call @attn_parallel_for(%{{.*}}, %[[MERGE]], %{{.*}})
// SPLIT-LABEL: llvm.func internal @causal_work_item(
// SPLIT-LABEL: llvm.func internal @causal_work_item_0(
func.func @causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
    attributes {llvm.emit_c_interface} {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
