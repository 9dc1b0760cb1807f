//===- attn-opt.cpp - the attn-opt driver ---------------------------------===//
//
// MlirOptMain with the attn dialect and passes plus every upstream dialect,
// pass and LLVM IR translation (gpu-module-to-binary needs the latter); the
// input is checked for nesting the parser cannot take before MlirOptMain
// parses it.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/Passes.h"
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Dialect/AttnTile/AttnTileDialect.h"
#include "attn/Transforms/Passes.h"
#include "attn/Transforms/TransferWriteBufferization.h"
#include "attn/Pipelines/Pipelines.h"
#include "attn/Target/GPU.h"
#include "attn/Support/SourceNesting.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

/// Refuses, with the location of the offending bracket, an input nested
/// too deep for the parser's recursion.
static mlir::LogicalResult
refuseExcessiveNesting(const llvm::MemoryBuffer &input) {
  llvm::StringRef text = input.getBuffer();
  std::optional<attn::SourcePosition> deep = attn::findExcessiveNesting(text);
  if (!deep)
    return mlir::success();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(text, input.getBufferIdentifier()),
      llvm::SMLoc());
  size_t offset = 0;
  for (unsigned line = 1; line < deep->line; ++line)
    offset = text.find('\n', offset) + 1;
  sourceMgr.PrintMessage(
      llvm::SMLoc::getFromPointer(text.data() + offset + deep->column - 1),
      llvm::SourceMgr::DK_Error, attn::excessiveNestingMessage());
  return mlir::failure();
}

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  attn::registerAttnConversionPasses();
  attn::registerAttnTransformsPasses();
  attn::registerAttnAnalysisTestPasses();
  attn::registerAttnPipelines();
  attn::gpu::registerGPUPipelines();

  mlir::DialectRegistry registry;
  registry.insert<attn::AttnDialect, attn::tile::AttnTileDialect>();
  // Before registerAllDialects: replaces upstream's transfer_write model.
  attn::registerTransferWriteBufferization(registry);
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);

  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "attn-opt: the attention compiler's optimizer driver\n",
      registry);
  mlir::MlirOptMainConfig config =
      mlir::MlirOptMainConfig::createFromCLOptions();
  if (config.shouldShowDialects() || config.shouldListPasses())
    return mlir::asMainReturnCode(mlir::MlirOptMain(
        argc, argv, inputFilename, outputFilename, registry));
  // The input is scanned before MLIR parses it (attn/Support/SourceNesting.h).
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input =
      mlir::openInputFile(inputFilename, &error);
  if (!input) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (failed(refuseExcessiveNesting(*input)))
    return 1;
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (mlir::failed(
          mlir::MlirOptMain(output->os(), std::move(input), registry, config)))
    return 1;
  output->keep();
  return 0;
}
