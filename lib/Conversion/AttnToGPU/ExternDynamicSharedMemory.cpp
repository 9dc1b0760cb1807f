//===- ExternDynamicSharedMemory.cpp - extern dynamic smem ----------------===//
//
// attn-gpu-extern-dynamic-shared-memory: the zero-sized dynamic shared
// memory global gets external linkage, so that NVPTX declares it
// `.extern .shared` instead of demoting it to a 1-byte static variable.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace attn {
#define GEN_PASS_DEF_GPUEXTERNDYNAMICSHAREDMEMORY
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

struct GPUExternDynamicSharedMemoryPass
    : public attn::impl::GPUExternDynamicSharedMemoryBase<
          GPUExternDynamicSharedMemoryPass> {
  void runOnOperation() override {
    getOperation()->walk([&](LLVM::GlobalOp global) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() == 3 && array && array.getNumElements() == 0 &&
          global.getSymName().starts_with("__dynamic_shmem__"))
        global.setLinkage(LLVM::Linkage::External);
    });
  }
};

} // namespace
