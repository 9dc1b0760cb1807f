// RUN: attn-opt %s --attn-parallel-loops-to-runtime --split-input-file --verify-diagnostics | FileCheck %s

// Work items as calls of the runtime: the body of the outermost parallel loop
// becomes <parent>_work_item(ctx, item); the values it reads from above travel
// in a stack struct (memrefs as descriptors, indices as i64, scalars as they
// are; constants are cloned); the loop's item count decides between the
// runtime (> 1 item), a direct call (1) and nothing (0). The nested loop
// stays in the body, sequential.

// CHECK-LABEL: func.func private @attn_parallel_for(i64, (!llvm.ptr, i64) -> (), !llvm.ptr)
// CHECK-LABEL: func.func @items
// CHECK-SAME:    (%[[IN:.*]]: memref<?x?xf32>, %[[OUT:.*]]: memref<?x?xf32>, %[[N:.*]]: index, %[[S:.*]]: f32)
// CHECK:         %[[CTX:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, f32, struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, i64)>
// CHECK:         %[[M:.*]] = memref.dim %[[IN]]
// Trip counts: ceildiv(n - 1, 2) and m.
// CHECK:         %[[D0:.*]] = arith.subi %[[N]], %c1
// CHECK:         %[[Q0:.*]] = arith.ceildivsi %[[D0]], %c2
// CHECK:         %[[C0:.*]] = arith.maxsi %[[Q0]]
// CHECK:         %[[C1:.*]] = arith.maxsi %[[M]]
// CHECK:         %[[INDESC:.*]] = builtin.unrealized_conversion_cast %[[IN]] : memref<?x?xf32> to !llvm.struct
// CHECK:         %[[F0:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK:         llvm.store %[[INDESC]], %[[F0]]
// CHECK:         %[[F1:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK:         llvm.store %[[S]], %[[F1]] : f32
// CHECK:         %[[OUTDESC:.*]] = builtin.unrealized_conversion_cast %[[OUT]]
// CHECK:         llvm.store %[[OUTDESC]]
// CHECK:         %[[C1I:.*]] = arith.index_cast %[[C1]] : index to i64
// CHECK:         llvm.store %[[C1I]]
// CHECK:         %[[COUNT:.*]] = arith.muli %[[C0]], %[[C1]]
// CHECK:         %[[MANY:.*]] = arith.cmpi sgt, %[[COUNT]], %c1
// CHECK:         %[[ONE:.*]] = arith.cmpi eq, %[[COUNT]], %c1
// CHECK:         scf.if %[[MANY]] {
// CHECK:           %[[COUNTI:.*]] = arith.index_cast %[[COUNT]] : index to i64
// CHECK:           %[[FN:.*]] = func.constant @items_work_item : (!llvm.ptr, i64) -> ()
// CHECK:           call @attn_parallel_for(%[[COUNTI]], %[[FN]], %[[CTX]])
// CHECK:         } else {
// CHECK:           scf.if %[[ONE]] {
// CHECK:             call @items_work_item(%[[CTX]], %c0_i64)
// CHECK-NOT:     scf.parallel
// CHECK:         return

// CHECK-LABEL: func.func private @items_work_item
// CHECK-SAME:    (%[[BCTX:.*]]: !llvm.ptr, %[[ITEM:.*]]: i64) attributes {llvm.linkage = #llvm.linkage<internal>}
// CHECK:         %[[G0:.*]] = llvm.getelementptr %[[BCTX]][0, 0]
// CHECK:         %[[L0:.*]] = llvm.load %[[G0]]
// CHECK:         %[[BIN:.*]] = builtin.unrealized_conversion_cast %[[L0]] : !llvm.struct<{{.*}}> to memref<?x?xf32>
// CHECK:         %[[BS:.*]] = llvm.load %{{.*}} : !llvm.ptr -> f32
// CHECK:         %[[BOUT:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x?xf32>
// CHECK:         %[[L3:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK:         %[[BC1:.*]] = arith.index_cast %[[L3]] : i64 to index
// Row-major: j = item mod m, i = 1 + 2 (item / m).
// CHECK:         %[[IDX:.*]] = arith.index_cast %[[ITEM]] : i64 to index
// CHECK:         %[[J:.*]] = arith.remui %[[IDX]], %[[BC1]]
// CHECK:         %[[IQ:.*]] = arith.divui %[[IDX]], %[[BC1]]
// CHECK:         %[[I2:.*]] = arith.muli %[[IQ]], %c2
// CHECK:         %[[I:.*]] = arith.addi %[[I2]], %c1
// CHECK:         %[[X:.*]] = memref.load %[[BIN]][%[[I]], %[[J]]]
// CHECK:         arith.mulf %[[X]], %[[BS]]
// CHECK:         memref.alloc()
// CHECK:         memref.dealloc
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.*}}, %[[BOUT]][%[[I]], %[[J]]]
// CHECK:         return
func.func @items(%in: memref<?x?xf32>, %out: memref<?x?xf32>, %n: index, %s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %m = memref.dim %in, %c1 : memref<?x?xf32>
  scf.parallel (%i, %j) = (%c1, %c0) to (%n, %m) step (%c2, %c1) {
    %x = memref.load %in[%i, %j] : memref<?x?xf32>
    %y = arith.mulf %x, %s : f32
    %t = memref.alloc() : memref<4xf32>
    memref.store %y, %t[%c0] : memref<4xf32>
    %z = memref.load %t[%c0] : memref<4xf32>
    memref.dealloc %t : memref<4xf32>
    scf.parallel (%k) = (%c0) to (%c2) step (%c1) {
      memref.store %z, %out[%i, %j] : memref<?x?xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// Reductions cannot be split over threads: the loop stays.
// CHECK-LABEL: func.func @reduction
// CHECK:         scf.parallel
// CHECK-NOT:     func.call

func.func @reduction(%in: memref<?xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  // expected-remark @below {{parallel loop stays sequential: its reductions cannot be combined across threads by attn_parallel_for}}
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %x = memref.load %in[%i] : memref<?xf32>
    scf.reduce(%x : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}

// -----

// CHECK-LABEL: func.func @tensor_capture
// CHECK:         scf.parallel
// CHECK-NOT:     func.call

func.func @tensor_capture(%t: tensor<8xf32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  // expected-remark @below {{parallel loop stays sequential: its body uses a 'tensor<8xf32>', which has no LLVM form to pass it in}}
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %x = tensor.extract %t[%i] : tensor<8xf32>
    memref.store %x, %out[%i] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// A symbol of the runtime's name with another type is an error.

// expected-error @below {{'attn_parallel_for' is the parallel-for runtime entry point and must be a func.func of type '(i64, (!llvm.ptr, i64) -> (), !llvm.ptr) -> ()'}}
func.func private @attn_parallel_for(i64)

func.func @clash(%out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %x = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %x, %out[%i] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// Two loops in a sequential loop (split-KV's partials, then their merge):
// one body each, the contexts allocated once at the entry, the constant item
// count (8) decides at compile time.
// CHECK-LABEL: func.func @phases
// CHECK:         %[[CTX1:.*]] = llvm.alloca
// CHECK:         %[[CTX0:.*]] = llvm.alloca
// CHECK:         scf.for
// CHECK-NOT:       llvm.alloca
// CHECK-NOT:       scf.if
// CHECK:           %[[F0:.*]] = func.constant @phases_work_item :
// CHECK:           call @attn_parallel_for(%{{.*}}, %[[F0]], %[[CTX0]])
// CHECK:           %[[F1:.*]] = func.constant @phases_work_item_0 :
// CHECK:           call @attn_parallel_for(%{{.*}}, %[[F1]], %[[CTX1]])
// CHECK-LABEL: func.func private @phases_work_item(
// CHECK:         memref.store %cst
// CHECK-LABEL: func.func private @phases_work_item_0(
// CHECK:         arith.addf

func.func @phases(%out: memref<8xf32>, %steps: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %x = arith.constant 1.0 : f32
  scf.for %s = %c0 to %steps step %c1 {
    scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
      memref.store %x, %out[%i] : memref<8xf32>
      scf.reduce
    }
    scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
      %y = memref.load %out[%i] : memref<8xf32>
      %z = arith.addf %y, %x : f32
      memref.store %z, %out[%i] : memref<8xf32>
      scf.reduce
    }
  }
  return
}

// -----

// Nothing to pass: a null context. One dimension: the item is the index.
// CHECK-LABEL: func.func @no_captures
// CHECK:         %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK:         call @attn_parallel_for(%{{.*}}, %{{.*}}, %[[NULL]])
// CHECK-LABEL: func.func private @no_captures_work_item
// CHECK-SAME:    (%{{.*}}: !llvm.ptr, %[[ITEM:.*]]: i64)
// CHECK:         %[[I:.*]] = arith.index_cast %[[ITEM]] : i64 to index
// CHECK:         memref.alloca()
// CHECK:         memref.store %[[I]], %{{.*}}[%[[I]]]

func.func @no_captures() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %t = memref.alloca() : memref<4xindex>
    memref.store %i, %t[%i] : memref<4xindex>
    scf.reduce
  }
  return
}

// -----

// Inside another parallel region a loop stays sequential, without a remark.
// CHECK-LABEL: func.func @in_forall
// CHECK:         scf.forall
// CHECK:           scf.parallel
// CHECK-NOT:     attn_parallel_for

func.func @in_forall(%out: memref<8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %x = arith.constant 1.0 : f32
  scf.forall (%i) in (8) {
    scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
      memref.store %x, %out[%i, %j] : memref<8x8xf32>
      scf.reduce
    }
  }
  return
}

// -----

// Known to have one item or none: the loops stay as they are.
// CHECK-LABEL: func.func @single
// CHECK-NOT:     call
// CHECK:         scf.parallel (%{{.*}}) = (%c0) to (%c1)
// CHECK:         scf.parallel (%{{.*}}) = (%c1) to (%c0)
// CHECK-NOT:     work_item
func.func @single(%out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %x = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c1) step (%c1) {
    memref.store %x, %out[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c1) to (%c0) step (%c1) {
    memref.store %x, %out[%i] : memref<8xf32>
    scf.reduce
  }
  return
}
