//===- EraseMemorySpaces.cpp - CPU view of kernel IR ----------------------===//
//
// attn-gpu-erase-memory-spaces: memref types without #gpu.address_space, so
// that the pre-mapping kernel IR runs as an ordinary CPU loop nest.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"

namespace attn {
#define GEN_PASS_DEF_GPUERASEMEMORYSPACES
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

struct GPUEraseMemorySpacesPass
    : public attn::impl::GPUEraseMemorySpacesBase<GPUEraseMemorySpacesPass> {
  void runOnOperation() override {
    AttrTypeReplacer replacer;
    replacer.addReplacement([](BaseMemRefType type) -> std::optional<Type> {
      if (!isa_and_nonnull<gpu::AddressSpaceAttr>(type.getMemorySpace()))
        return std::nullopt;
      if (auto ranked = dyn_cast<MemRefType>(type))
        return MemRefType::get(ranked.getShape(), ranked.getElementType(),
                               ranked.getLayout());
      return UnrankedMemRefType::get(type.getElementType(), Attribute());
    });
    replacer.recursivelyReplaceElementsIn(getOperation(),
                                          /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false,
                                          /*replaceTypes=*/true);
  }
};

} // namespace
