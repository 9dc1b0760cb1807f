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

#endif // ATTN_CONVERSION_PASSES_TD
