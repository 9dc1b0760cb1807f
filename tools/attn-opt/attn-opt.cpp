//===- attn-opt.cpp - the attn-opt driver ---------------------------------===//
//
// MlirOptMain with the attn dialect and passes plus every upstream dialect,
// pass and LLVM IR translation (gpu-module-to-binary needs the latter).
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/Passes.h"
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Dialect/AttnTile/AttnTileDialect.h"
#include "attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Target/GPU.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  attn::registerAttnConversionPasses();
  attn::registerAttnTransformsPasses();
  attn::registerAttnAnalysisTestPasses();
  attn::registerAttnPipelines();
  attn::gpu::registerGPUPipelines();

  mlir::DialectRegistry registry;
  registry.insert<attn::AttnDialect, attn::tile::AttnTileDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "attn-opt: the attention compiler's optimizer driver\n",
      registry));
}
