//===- FastExp2.cpp - ex2.approx and fma.rn for libdevice -----------------===//
//
// attn-gpu-fast-exp2: libdevice's __nv_exp2f and __nv_fmaf calls become
// llvm.exp2 / llvm.fma, which NVPTX selects as ex2.approx.f32 / fma.rn.f32
// (see docs/gpu.md for the accuracy argument).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace attn {
#define GEN_PASS_DEF_GPUFASTEXP2
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

struct GPUFastExp2Pass
    : public attn::impl::GPUFastExp2Base<GPUFastExp2Pass> {
  void runOnOperation() override {
    SmallVector<LLVM::CallOp> calls;
    getOperation()->walk([&](LLVM::CallOp call) {
      std::optional<StringRef> callee = call.getCallee();
      if (callee && (*callee == "__nv_exp2f" || *callee == "__nv_fmaf") &&
          call.getNumResults() == 1)
        calls.push_back(call);
    });
    for (LLVM::CallOp call : calls) {
      OpBuilder b(call);
      Type t = call.getResult().getType();
      Value r = *call.getCallee() == "__nv_exp2f"
                    ? LLVM::Exp2Op::create(b, call.getLoc(), t,
                                           call.getOperand(0))
                          .getResult()
                    : LLVM::FMAOp::create(b, call.getLoc(), t,
                                          call.getOperand(0),
                                          call.getOperand(1),
                                          call.getOperand(2))
                          .getResult();
      call.getResult().replaceAllUsesWith(r);
      call.erase();
    }
    // Drop the declarations once unused.
    getOperation()->walk([&](LLVM::LLVMFuncOp func) {
      if ((func.getName() == "__nv_exp2f" || func.getName() == "__nv_fmaf") &&
          func.isExternal() &&
          SymbolTable::symbolKnownUseEmpty(func, func->getParentOp()))
        func.erase();
    });
  }
};

} // namespace
