//===- KernelBuilder.cpp - building blocks of the pre-mapping kernels -----===//

#include "KernelBuilder.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace attn::gpu_kernel;

Value KernelBuilder::table(ArrayRef<int32_t> data) {
  auto type = RankedTensorType::get({static_cast<int64_t>(data.size())},
                                    b.getI32Type());
  return arith::ConstantOp::create(b, loc, type,
                                   DenseElementsAttr::get(type, data));
}

Value KernelBuilder::lookup(Value table, Value index) {
  return arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      tensor::ExtractOp::create(b, loc, table, ValueRange{index}));
}

Value KernelBuilder::sharedBuffer(ArrayRef<int64_t> shape, Type elementType) {
  auto space =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  return memref::AllocOp::create(
      b, loc,
      MemRefType::get(shape, elementType ? elementType : b.getF32Type(),
                      MemRefLayoutAttrInterface(), space));
}

Value KernelBuilder::exp(Value x) {
  return math::Exp2Op::create(b, loc, mulf(x, e.f32(1.4426950408889634)));
}

void KernelBuilder::forLoop(Value lb, Value ub, int64_t step,
                            function_ref<void(Value)> body) {
  auto loop = scf::ForOp::create(b, loc, lb, ub, idx(step));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  body(loop.getInductionVar());
}

Value KernelBuilder::reduce(int64_t n, Value init,
                            function_ref<Value(Value iv, Value acc)> body) {
  auto loop = scf::ForOp::create(
      b, loc, idx(0), idx(n), idx(1), ValueRange{init},
      [&](OpBuilder &, Location, Value iv, ValueRange acc) {
        scf::YieldOp::create(b, loc, ValueRange{body(iv, acc[0])});
      });
  return loop.getResult(0);
}

void KernelBuilder::ifThen(Value cond, function_ref<void()> body) {
  auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  body();
}

Value KernelBuilder::ifElse(Value cond, function_ref<Value()> then,
                            Value otherwise) {
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{otherwise.getType()}, cond,
                                /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  scf::YieldOp::create(b, loc, ValueRange{then()});
  b.setInsertionPointToStart(ifOp.elseBlock());
  scf::YieldOp::create(b, loc, ValueRange{otherwise});
  return ifOp.getResult(0);
}

void KernelBuilder::threadForall(int64_t count,
                                 function_ref<void(Value)> body) {
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(count)}, ValueRange{},
      b.getArrayAttr({gpu::GPUThreadMappingAttr::get(b.getContext(),
                                                     gpu::MappingId::DimX)}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  body(forall.getInductionVar(0));
}

void KernelBuilder::threadLoop(int64_t n, function_ref<void(Value)> body) {
  int64_t t = std::min(n, threadCount);
  threadForall(t, [&](Value tid) {
    if (n <= t)
      body(tid);
    else
      forLoop(tid, idx(n), t, body);
  });
}

scf::ForallOp KernelBuilder::blockForall(int64_t items) {
  auto blockMapping = b.getArrayAttr(
      {gpu::GPUBlockMappingAttr::get(b.getContext(), gpu::MappingId::DimX)});
  return scf::ForallOp::create(b, loc,
                               ArrayRef<OpFoldResult>{b.getIndexAttr(items)},
                               ValueRange{}, blockMapping);
}

void attn::gpu_kernel::replaceByBuffers(
    Operation *root, ArrayRef<std::pair<Value, Value>> resultBuffers,
    OpBuilder &b, ArrayRef<Operation *> earlierRoots) {
  Location loc = root->getLoc();
  SmallVector<Operation *> roots(earlierRoots);
  roots.push_back(root);
  llvm::SmallPtrSet<Operation *, 4> isRoot(roots.begin(), roots.end());
  // The producers of the roots' operands and of the values their regions
  // use: erased below once nothing else uses them.
  llvm::SetVector<Operation *> producers;
  llvm::SetVector<Value> used;
  for (Operation *r : roots) {
    getUsedValuesDefinedAbove(r->getRegions(), used);
    used.insert(r->operand_begin(), r->operand_end());
  }
  for (Value v : used)
    if (Operation *producer = v.getDefiningOp(); producer && !isRoot.count(producer))
      producers.insert(producer);
  for (auto [result, buffer] : resultBuffers) {
    Value tensor = bufferization::ToTensorOp::create(b, loc, result.getType(),
                                                     buffer, /*restrict=*/true,
                                                     /*writable=*/true);
    result.replaceAllUsesWith(tensor);
  }
  // Later roots read earlier ones' results: erase from the last.
  for (Operation *r : llvm::reverse(roots))
    r->erase();
  while (!producers.empty()) {
    Operation *producer = producers.pop_back_val();
    if (!isOpTriviallyDead(producer))
      continue;
    for (Value operand : producer->getOperands())
      if (Operation *next = operand.getDefiningOp())
        producers.insert(next);
    producer->erase();
  }
}
