//===- MergeKernelModules.cpp - one gpu.module per host function ----------===//
//
// Outlining gives each gpu.launch its own gpu.module, hence its own PTX
// image; a spec function that launches several kernels (split-KV) is one
// library entry whose launcher loads one module per architecture. The later
// modules' symbols move into the first, renamed where a name is taken.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace attn {
#define GEN_PASS_DEF_GPUMERGEKERNELMODULES
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

/// A name for `op` (a symbol of `source`) that `target` does not use:
/// its own, or with the first free suffix _1, _2, ...
StringAttr freeName(Operation *op, SymbolTable &target) {
  StringAttr name = SymbolTable::getSymbolName(op);
  if (!target.lookup(name))
    return name;
  for (unsigned n = 1;; ++n) {
    auto candidate = StringAttr::get(op->getContext(),
                                     name.getValue() + "_" + Twine(n));
    if (!target.lookup(candidate))
      return candidate;
  }
}

/// Moves every op of `source` into `target`, renaming (with their uses in
/// `source`) the symbols whose names `target` uses.
void moveInto(gpu::GPUModuleOp source, gpu::GPUModuleOp target) {
  SymbolTable targetTable(target);
  for (Operation &op :
       llvm::make_early_inc_range(source.getBody()->getOperations())) {
    if (op.hasTrait<OpTrait::IsTerminator>())
      continue;
    bool isSymbol = static_cast<bool>(SymbolTable::getSymbolName(&op));
    if (isSymbol) {
      StringAttr name = freeName(&op, targetTable);
      if (name != SymbolTable::getSymbolName(&op)) {
        (void)SymbolTable::replaceAllSymbolUses(&op, name, source);
        SymbolTable::setSymbolName(&op, name);
      }
    }
    op.moveBefore(target.getBody(), target.getBody()->end());
    if (isSymbol)
      targetTable.insert(&op, target.getBody()->end());
  }
}

struct GPUMergeKernelModulesPass
    : public attn::impl::GPUMergeKernelModulesBase<GPUMergeKernelModulesPass> {
  void runOnOperation() override;
};

} // namespace

void GPUMergeKernelModulesPass::runOnOperation() {
  ModuleOp module = getOperation();
  SymbolTable symbols(module);
  // The host functions launching each module.
  llvm::DenseMap<StringAttr, llvm::SmallPtrSet<Operation *, 2>> launchers;
  module.walk([&](gpu::LaunchFuncOp launch) {
    launchers[launch.getKernelModuleName()].insert(
        launch->getParentOfType<FunctionOpInterface>());
  });
  for (auto func : module.getOps<FunctionOpInterface>()) {
    SmallVector<gpu::LaunchFuncOp> launches;
    func->walk([&](gpu::LaunchFuncOp launch) { launches.push_back(launch); });
    gpu::GPUModuleOp first;
    for (gpu::LaunchFuncOp launch : launches) {
      auto kernelModule =
          symbols.lookup<gpu::GPUModuleOp>(launch.getKernelModuleName());
      if (!kernelModule ||
          launchers[kernelModule.getSymNameAttr()].size() != 1)
        continue; // shared with another host function: left alone
      if (!first) {
        first = kernelModule;
        continue;
      }
      if (kernelModule == first)
        continue;
      // The kernels the function launches from this module, found before
      // the move may rename them.
      SmallVector<std::pair<gpu::LaunchFuncOp, Operation *>> moved;
      for (gpu::LaunchFuncOp other : launches)
        if (other.getKernelModuleName() == kernelModule.getSymNameAttr())
          moved.push_back(
              {other, SymbolTable(kernelModule).lookup(other.getKernelName())});
      moveInto(kernelModule, first);
      for (auto [other, kernel] : moved)
        other.setKernelAttr(SymbolRefAttr::get(
            first.getSymNameAttr(),
            {FlatSymbolRefAttr::get(SymbolTable::getSymbolName(kernel))}));
      symbols.erase(kernelModule);
    }
  }
}
