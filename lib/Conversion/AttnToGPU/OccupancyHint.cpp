//===- OccupancyHint.cpp - blocks per SM from the dynamic shared memory ---===//
//
// The kernels declare their block size (.maxntid); without a second fact,
// ptxas assumes it should fit as many blocks per SM as the register file
// allows and caps registers accordingly (48 for 128 threads), spilling the
// tensor-core kernels' fragments although shared memory allows one or two
// blocks per SM anyway. nvvm.minctasm (PTX .minnctapersm) gives it the real
// number of resident blocks, but never so many that fewer than 128
// registers per thread remain (more where the lowering says its
// accumulators need them: attn.gpu.min_registers): where shared memory would
// allow ten small blocks, ptxas would otherwise cap a kernel at 48
// registers and spill.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace attn {
#define GEN_PASS_DEF_GPUOCCUPANCYHINT
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {
struct GPUOccupancyHintPass
    : public attn::impl::GPUOccupancyHintBase<GPUOccupancyHintPass> {
  using GPUOccupancyHintBase::GPUOccupancyHintBase;
  void runOnOperation() override {
    if (sharedPerSM <= 0)
      return;
    ModuleOp module = getOperation();
    module.walk([&](gpu::LaunchFuncOp launch) {
      Value size = launch.getDynamicSharedMemorySize();
      if (!size)
        return;
      auto cst = size.getDefiningOp<arith::ConstantOp>();
      auto bytes = cst ? dyn_cast<IntegerAttr>(cst.getValue()) : IntegerAttr();
      if (!bytes || bytes.getInt() <= 0)
        return;
      auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
          launch, launch.getKernel());
      if (!kernel)
        return;
      int64_t blocks = std::clamp<int64_t>(sharedPerSM / bytes.getInt(), 1, 32);
      // 64K registers per SM; at least 128 per thread.
      int64_t registers = 128;
      if (auto host = launch->getParentOfType<FunctionOpInterface>())
        if (auto r = host->getAttrOfType<IntegerAttr>("attn.gpu.min_registers"))
          registers = std::clamp<int64_t>(r.getInt(), registers, 255);
      if (auto threads = getConstantIntValue(launch.getBlockSizeX());
          threads && *threads > 0)
        blocks = std::clamp<int64_t>(65536 / (*threads * registers), 1, blocks);
      kernel->setAttr("nvvm.minctasm",
                      IntegerAttr::get(IntegerType::get(&getContext(), 32),
                                       blocks));
    });
  }
};
} // namespace
