//===- Passes.td - attn conversion passes ------------------*- tablegen -*-===//
#ifndef ATTN_CONVERSION_PASSES_TD
#define ATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnToLoops : Pass<"convert-attn-to-loops", "::mlir::func::FuncOp"> {
  let summary = "Lower attn.attention to an untiled online-softmax loop nest";
  let description = [{
    Rewrites every `attn.attention` into an `scf.parallel` over
    (batch, query head, query) whose body runs a sequential online-softmax
    loop over the keys (running max, running sum, rescaled f32 accumulator in
    a stack buffer). Every mask attribute, score modification, region and
    normalization is emitted inline as `arith`/`math` code evaluated per
    (query, key) pair; inputs are read with `tensor.extract` and the output
    is a `memref.alloc` wrapped by `bufferization.to_tensor`, so the result
    is ready for One-Shot Bufferize.

    This is the reference-quality *untiled* lowering: no tiles are skipped
    and the mask is evaluated on every element. It exists as a correctness
    baseline and as the fallback for specs the tiled path does not handle.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::bufferization::BufferizationDialect"
  ];
}

def ConvertAttnToCPU : Pass<"convert-attn-to-cpu", "::mlir::func::FuncOp"> {
  let summary = "Tile attn.attention into a vectorized FlashAttention-2 loop nest for CPUs";
  let description = [{
    Lowers every `attn.attention` whose Q, K, V and output have static shapes
    (specs are specialized to the input shapes before compiling) to the
    online-softmax loop nest of FlashAttention-2, vectorized over queries:

    * work items are (batch, head, query tile); they are visited in an order
      computed at compile time, heaviest first (number of visited key tiles),
      so that dynamic scheduling balances causal and windowed masks;
    * per work item, Q^T (scaled) is packed once; the key tiles to visit come
      from a compressed tile list built by the block classification
      (attn/Analysis): empty tiles are never visited, full tiles run no mask
      code, partial tiles evaluate the mask per element;
    * per key tile, S^T = K Q^T is computed by a register-blocked
      micro-kernel (broadcast K elements, vectors of queries), the online
      softmax runs vertically over the key rows (no horizontal reductions),
      and O^T = alpha O^T + V^T P^T by a second micro-kernel.

    With `work-partition`, the function gets two trailing `index` arguments
    (begin, end) selecting the work items it processes, so that a runtime
    can run disjoint ranges on several threads; the function attribute
    `attn.num_work_items` gives their number.

    Ops it does not handle (dynamic shapes, and the features listed by
    `attn::isSupportedByTiledLowering`: data-dependent head maps, sink
    logits, output gates, weight_mod regions) are left for
    `convert-attn-to-loops`. Score modifications that read operands (bias,
    regions) and partial-tile masks are evaluated per element with scalar
    code; softcap and ALiBi are vectorized.
  }];
  let options = [
    Option<"tileQ", "tile-q", "int64_t", "0",
           "Queries per tile (a multiple of vector-width; 0: 4 vectors)">,
    Option<"tileKv", "tile-kv", "int64_t", "64", "Keys per tile">,
    Option<"vectorWidth", "vector-width", "int64_t", "8",
           "f32 lanes per vector (8 for AVX2, 16 for AVX-512)">,
    Option<"workPartition", "work-partition", "bool", "false",
           "Add (begin, end) work-item arguments for a threaded runtime">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect", "::mlir::vector::VectorDialect",
    "::mlir::bufferization::BufferizationDialect"
  ];
}

def ApproximateVectorMath : Pass<"attn-approximate-vector-math"> {
  let summary = "Polynomial approximations of math ops on vectors";
  let description = [{
    Rewrites `math.exp`, `math.tanh`, `math.log`, `math.erf` ... on vector
    operands into MLIR's polynomial approximations (accurate to a few ulp),
    which LLVM vectorizes; scalar math ops are left to libm for accuracy.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // ATTN_CONVERSION_PASSES_TD
