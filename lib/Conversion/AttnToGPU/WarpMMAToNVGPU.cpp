//===- WarpMMAToNVGPU.cpp - warp-level tile products to mma.sync ----------===//
//
// Runs upstream's vector-to-nvgpu conversion (ldmatrix + mma.sync, upstream
// fragment layouts) on the warp-level tile products that convert-attn-tile-to-gpu
// marks, one marked loop at a time. See the pass description in Passes.td
// for why the upstream pass cannot simply run on the whole kernel, and for
// the bf16 handling.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "WarpMMA.h"

#include "mlir/Conversion/VectorToGPU/VectorToGPU.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attn {
#define GEN_PASS_DEF_GPUWARPMMATONVGPU
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

/// A bf16 warp-private buffer (the register softmax's P) as an f16 buffer
/// holding the same bits: its stores and loads bitcast. Returns the new
/// buffer, or failure on a use other than loads, stores and transfer reads
/// (those are rewritten by the caller).
FailureOr<Value> retypeBF16AsF16(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  OpBuilder b(alloc);
  Type f16 = b.getF16Type();
  auto f16Type = MemRefType::get(type.getShape(), f16, type.getLayout(),
                                 type.getMemorySpace());
  auto retyped = memref::AllocOp::create(b, alloc.getLoc(), f16Type);
  retyped->setAttrs(alloc->getAttrs());
  for (Operation *user : llvm::make_early_inc_range(alloc->getUsers())) {
    OpBuilder ub(user);
    auto bitcast = [&](Value v, Type to) -> Value {
      auto vt = dyn_cast<VectorType>(v.getType());
      return arith::BitcastOp::create(
          ub, user->getLoc(), vt ? VectorType::get(vt.getShape(), to) : to, v);
    };
    if (auto store = dyn_cast<memref::StoreOp>(user);
        store && store.getValue() != alloc.getResult()) {
      memref::StoreOp::create(ub, store.getLoc(),
                              bitcast(store.getValue(), f16), retyped,
                              store.getIndices());
      store.erase();
    } else if (auto load = dyn_cast<memref::LoadOp>(user)) {
      Value v = memref::LoadOp::create(ub, load.getLoc(), retyped,
                                       load.getIndices());
      load.replaceAllUsesWith(bitcast(v, type.getElementType()));
      load.erase();
    } else if (isa<memref::DeallocOp>(user)) {
      user->setOperand(0, retyped);
    } else if (!isa<vector::TransferReadOp>(user)) {
      return user->emitOpError("attn-gpu-warp-mma-to-nvgpu: a bf16 "
                               "warp-private buffer must only be read and "
                               "written by loads, stores and tile reads");
    }
  }
  return retyped.getResult();
}

/// bf16 tiles are read as f16 (the same bits: ldmatrix moves 16-bit
/// elements whatever they mean), since upstream's vector-to-nvgpu has no
/// bf16 fragment types. Every contraction of the root must then have been
/// bf16; `isBF16` says so. A warp-private bf16 operand buffer becomes an
/// f16 one (`retyped` keeps the replacement of each).
LogicalResult readBF16AsF16(Operation *root, bool &isBF16,
                            DenseMap<Operation *, Value> &retyped) {
  SmallVector<vector::ContractionOp> contracts;
  root->walk([&](vector::ContractionOp c) { contracts.push_back(c); });
  isBF16 = false;
  for (vector::ContractionOp c : contracts) {
    Type lhs = c.getLhsType().getElementType();
    if (!lhs.isBF16())
      continue;
    isBF16 = true;
    OpBuilder b(c);
    Type f16 = b.getF16Type();
    SmallVector<Value, 2> operands;
    for (Value v : {c.getLhs(), c.getRhs()}) {
      auto read = v.getDefiningOp<vector::TransferReadOp>();
      auto view = read ? read.getBase().getDefiningOp<memref::ViewOp>()
                       : memref::ViewOp();
      auto alloc = read ? read.getBase().getDefiningOp<memref::AllocOp>()
                        : memref::AllocOp();
      Value f16View;
      if (view) {
        auto viewType = view.getType();
        auto f16ViewType = MemRefType::get(viewType.getShape(), f16,
                                           viewType.getLayout(),
                                           viewType.getMemorySpace());
        OpBuilder vb(view);
        f16View = memref::ViewOp::create(vb, view.getLoc(), f16ViewType,
                                         view.getSource(), view.getByteShift(),
                                         view.getSizes());
      } else if (alloc &&
                 alloc->hasAttr(attn::gpu_codegen::kWarpPrivateAttr)) {
        Value &f16Alloc = retyped[alloc];
        if (!f16Alloc) {
          FailureOr<Value> r = retypeBF16AsF16(alloc);
          if (failed(r))
            return failure();
          f16Alloc = *r;
        }
        f16View = f16Alloc;
      } else {
        return c.emitOpError("attn-gpu-warp-mma-to-nvgpu: a bf16 tile "
                             "product must read its operands from views of "
                             "dynamic shared memory or warp-private buffers");
      }
      OpBuilder rb(read);
      Value pad = arith::ConstantOp::create(rb, read.getLoc(),
                                            rb.getZeroAttr(f16));
      auto f16Read = vector::TransferReadOp::create(
          rb, read.getLoc(),
          VectorType::get(read.getVectorType().getShape(), f16), f16View,
          read.getIndices(), read.getPermutationMapAttr(), pad,
          read.getMask(), read.getInBoundsAttr());
      operands.push_back(f16Read);
    }
    auto f16Contract = vector::ContractionOp::create(
        b, c.getLoc(), operands[0], operands[1], c.getAcc(),
        c.getIndexingMaps(), c.getIteratorTypes(), c.getKind());
    c.getResult().replaceAllUsesWith(f16Contract.getResult());
    Operation *lhsRead = c.getLhs().getDefiningOp();
    Operation *rhsRead = c.getRhs().getDefiningOp();
    c.erase();
    for (Operation *read : {lhsRead, rhsRead})
      if (read && read->use_empty())
        read->erase();
  }
  return success();
}

/// nvgpu.mma.sync has no bf16 lowering in MLIR 22 ("failed to deduce operand
/// PTX types"): emit nvvm.mma.sync m16n8k16 with bf16 multiplicands (A and
/// B as packed i32 registers, as the PTX ISA and the NVVM intrinsic take
/// them) for the f16-typed mma.sync of a bf16 root.
LogicalResult lowerMmaSyncAsBF16(nvgpu::MmaSyncOp mma) {
  auto aType = cast<VectorType>(mma.getMatrixA().getType());
  auto bType = cast<VectorType>(mma.getMatrixB().getType());
  auto cType = cast<VectorType>(mma.getMatrixC().getType());
  if (aType.getShape() != ArrayRef<int64_t>{4, 2} ||
      bType.getShape() != ArrayRef<int64_t>{2, 2} ||
      cType.getShape() != ArrayRef<int64_t>{2, 2} ||
      !cType.getElementType().isF32())
    return mma.emitOpError("attn-gpu-warp-mma-to-nvgpu: expected the "
                           "m16n8k16 fragments of a bf16 x bf16 -> f32 "
                           "product");
  OpBuilder b(mma);
  Location loc = mma.getLoc();
  Type i32 = b.getI32Type();
  auto packed = [&](Value fragment, int64_t rows) {
    SmallVector<Value> regs;
    for (int64_t r = 0; r < rows; ++r) {
      Value row = vector::ExtractOp::create(b, loc, fragment, r);
      Value asI32 = vector::BitCastOp::create(
          b, loc, VectorType::get({1}, i32), row);
      regs.push_back(vector::ExtractOp::create(b, loc, asI32, 0));
    }
    return regs;
  };
  SmallVector<Value> a = packed(mma.getMatrixA(), 4);
  SmallVector<Value> bRegs = packed(mma.getMatrixB(), 2);
  SmallVector<Value> c;
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t e = 0; e < 2; ++e)
      c.push_back(vector::ExtractOp::create(b, loc, mma.getMatrixC(),
                                            ArrayRef<int64_t>{r, e}));
  Type f32 = b.getF32Type();
  auto resultType = LLVM::LLVMStructType::getLiteral(
      b.getContext(), {f32, f32, f32, f32});
  auto op = NVVM::MmaOp::create(
      b, loc, resultType, a, bRegs, c, ArrayRef<int64_t>{16, 8, 16},
      std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                    NVVM::MMATypes::bf16},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  SmallVector<Value> d;
  for (int64_t i = 0; i < 4; ++i)
    d.push_back(LLVM::ExtractValueOp::create(b, loc, op.getResult(), i));
  Value result = vector::FromElementsOp::create(b, loc, cType, d);
  mma.replaceAllUsesWith(result);
  mma.erase();
  return success();
}

struct GPUWarpMMAToNVGPUPass
    : public attn::impl::GPUWarpMMAToNVGPUBase<GPUWarpMMAToNVGPUPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    SmallVector<Operation *> roots;
    getOperation()->walk([&](Operation *op) {
      if (op->hasAttr(attn::gpu_codegen::kWarpMMAAttr))
        roots.push_back(op);
    });
    RewritePatternSet cleanupPatterns(ctx);
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(cleanupPatterns);
    for (RegisteredOperationName name : ctx->getRegisteredOperations())
      name.getCanonicalizationPatterns(cleanupPatterns, ctx);
    FrozenRewritePatternSet cleanup(std::move(cleanupPatterns));

    DenseMap<Operation *, Value> retyped;
    for (Operation *root : roots) {
      bool isBF16 = false;
      if (failed(readBF16AsF16(root, isBF16, retyped)))
        return signalPassFailure();
      RewritePatternSet prepare(ctx);
      populatePrepareVectorToMMAPatterns(prepare, /*useNvGpu=*/true);
      if (failed(applyPatternsGreedily(root, std::move(prepare))))
        return signalPassFailure();
      IRRewriter rewriter(ctx);
      if (failed(convertVectorToNVVMCompatibleMMASync(rewriter, root)))
        return signalPassFailure();
      // The conversion leaves the replaced vector ops behind, dead.
      (void)applyPatternsGreedily(root, cleanup);
      if (isBF16) {
        SmallVector<nvgpu::MmaSyncOp> mmas;
        root->walk([&](nvgpu::MmaSyncOp m) { mmas.push_back(m); });
        for (nvgpu::MmaSyncOp m : mmas)
          if (failed(lowerMmaSyncAsBF16(m)))
            return signalPassFailure();
      }
    }
    // The bf16 buffers replaced by f16 ones (all their reads rewritten).
    for (auto &[alloc, f16Alloc] : retyped) {
      if (!alloc->use_empty()) {
        alloc->emitOpError("attn-gpu-warp-mma-to-nvgpu: a bf16 warp-private "
                           "buffer is still read after its tile reads "
                           "became f16");
        return signalPassFailure();
      }
      alloc->erase();
    }
    // A tile product left behind would become scalar code silently.
    WalkResult left = getOperation()->walk([&](vector::ContractionOp c) {
      c.emitOpError("attn-gpu-warp-mma-to-nvgpu: warp-level tile product "
                    "was not converted to nvgpu.mma.sync");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
