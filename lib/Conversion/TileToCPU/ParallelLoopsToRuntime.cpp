//===- ParallelLoopsToRuntime.cpp - work items through attn_parallel_for --===//
//
// convert-scf-to-cf runs an scf.parallel as one sequential loop. This pass
// outlines the body of each outermost parallel loop into a function
// (ctx, item) and hands it to the runtime entry point attn_parallel_for,
// which the JIT runs on its thread pool. It runs on buffers, after buffer
// deallocation: every work item then owns the buffers it allocates, and the
// only state shared between items is what the body reads from above, which
// travels by value in a stack struct (the context).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/ParallelRuntime.h"
#include "attn/Conversion/Passes.h"

#include "mlir/Analysis/DataLayoutAnalysis.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace attn {
#define GEN_PASS_DEF_PARALLELLOOPSTORUNTIME
#include "attn/Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

/// What an outlined loop's body receives: values it clones (constants) and
/// values it loads from the context, each as an LLVM-compatible field.
struct Captures {
  SmallVector<Value> cloned;
  SmallVector<Value> passed;
  SmallVector<Type> fields;
};

/// The type `value` is stored as in the context, or null when it has none.
Type contextFieldType(Type type, const LLVMTypeConverter &converter) {
  if (isa<IndexType>(type))
    return converter.getIndexType();
  if (isa<BaseMemRefType>(type))
    return converter.convertType(type);
  return LLVM::isCompatibleType(type) ? type : Type();
}

bool isClonableConstant(Value value) {
  Operation *def = value.getDefiningOp();
  return def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
         def->hasTrait<OpTrait::ConstantLike>();
}

/// Inside another parallel region the loop runs on one of its items' threads:
/// it stays sequential.
bool isInsideParallelRegion(scf::ParallelOp loop) {
  return loop->getParentOfType<scf::ParallelOp>() ||
         loop->getParentOfType<scf::ForallOp>();
}

/// Values the body reads from above, plus `extra` (the loop's bounds that the
/// body needs to rebuild its induction variables). checkOutlinable has
/// checked that each has a field type.
Captures collectCaptures(scf::ParallelOp loop, ValueRange extra,
                         const LLVMTypeConverter &converter) {
  SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.getRegion(), used);
  used.insert(extra.begin(), extra.end());
  Captures captures;
  for (Value value : used) {
    if (isClonableConstant(value)) {
      captures.cloned.push_back(value);
      continue;
    }
    captures.passed.push_back(value);
    captures.fields.push_back(contextFieldType(value.getType(), converter));
  }
  return captures;
}

/// The reasons a loop cannot be outlined, as a remark; success if it can.
LogicalResult checkOutlinable(scf::ParallelOp loop,
                              const LLVMTypeConverter &converter) {
  if (loop.getNumResults() != 0)
    return loop.emitRemark()
           << "parallel loop stays sequential: its reductions cannot be "
              "combined across threads by "
           << attn::kParallelForFunction;
  if (!loop->getParentOfType<func::FuncOp>())
    return loop.emitRemark()
           << "parallel loop stays sequential: it is not inside a func.func";
  SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.getRegion(), used);
  for (Value value : used) {
    if (isClonableConstant(value) ||
        contextFieldType(value.getType(), converter))
      continue;
    return loop.emitRemark()
           << "parallel loop stays sequential: its body uses a "
           << value.getType() << ", which has no LLVM form to pass it in";
  }
  return success();
}

/// max(ceildiv(ub - lb, step), 0): the loop's trip count on one dimension.
Value tripCount(OpBuilder &b, Location loc, Value lb, Value ub, Value step) {
  std::optional<int64_t> lbConst = getConstantIntValue(lb),
                         ubConst = getConstantIntValue(ub),
                         stepConst = getConstantIntValue(step);
  if (lbConst && ubConst && stepConst && *stepConst > 0)
    return arith::ConstantIndexOp::create(
        b, loc,
        std::max<int64_t>(llvm::divideCeilSigned(*ubConst - *lbConst,
                                                 *stepConst),
                          0));
  Value diff = b.createOrFold<arith::SubIOp>(loc, ub, lb);
  Value count = b.createOrFold<arith::CeilDivSIOp>(loc, diff, step);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  return arith::MaxSIOp::create(b, loc, count, zero);
}

/// The loop's number of items when its bounds are constants.
std::optional<int64_t> constantItemCount(scf::ParallelOp loop) {
  int64_t items = 1;
  for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(),
                                       loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> lbConst = getConstantIntValue(lb),
                           ubConst = getConstantIntValue(ub),
                           stepConst = getConstantIntValue(step);
    if (!lbConst || !ubConst || !stepConst || *stepConst <= 0)
      return std::nullopt;
    items *= std::max<int64_t>(
        llvm::divideCeilSigned(*ubConst - *lbConst, *stepConst), 0);
  }
  return items;
}

SmallVector<Value> tripCounts(OpBuilder &b, scf::ParallelOp loop) {
  SmallVector<Value> counts;
  for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(),
                                       loop.getUpperBound(), loop.getStep()))
    counts.push_back(tripCount(b, loop.getLoc(), lb, ub, step));
  return counts;
}

Value product(OpBuilder &b, Location loc, ArrayRef<Value> values) {
  Value result = values.front();
  for (Value value : values.drop_front())
    result = b.createOrFold<arith::MulIOp>(loc, result, value);
  return result;
}

/// A value of the parent as its context field (and back, in the body).
Value toField(OpBuilder &b, Location loc, Value value, Type field) {
  if (value.getType() == field)
    return value;
  if (isa<IndexType>(value.getType()))
    return arith::IndexCastOp::create(b, loc, field, value);
  // A memref becomes its descriptor once the LLVM conversions have run.
  return UnrealizedConversionCastOp::create(b, loc, field, value).getResult(0);
}

Value fromField(OpBuilder &b, Location loc, Value field, Type type) {
  if (field.getType() == type)
    return field;
  if (isa<IndexType>(type))
    return arith::IndexCastOp::create(b, loc, type, field);
  return UnrealizedConversionCastOp::create(b, loc, type, field).getResult(0);
}

Value fieldAddress(OpBuilder &b, Location loc, Type structType, Value context,
                   int32_t index) {
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  return LLVM::GEPOp::create(b, loc, ptrType, structType, context,
                             ArrayRef<LLVM::GEPArg>{0, index});
}

/// The body's view of the loop's induction variables, rebuilt from the
/// row-major item index; `innerCounts` are the trip counts of dimensions 1..n-1
/// (the outermost one needs none).
SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value item,
                               ArrayRef<Value> lbs, ArrayRef<Value> steps,
                               ArrayRef<Value> innerCounts) {
  SmallVector<Value> ivs(lbs.size());
  Value rest = item;
  for (int64_t d = lbs.size() - 1; d >= 0; --d) {
    Value index = rest;
    if (d > 0) {
      index = arith::RemUIOp::create(b, loc, rest, innerCounts[d - 1]);
      rest = arith::DivUIOp::create(b, loc, rest, innerCounts[d - 1]);
    }
    Value offset = b.createOrFold<arith::MulIOp>(loc, index, steps[d]);
    ivs[d] = b.createOrFold<arith::AddIOp>(loc, lbs[d], offset);
  }
  return ivs;
}

/// `parent`'s function pointer type for outlined bodies: (ctx, item) -> ().
FunctionType bodyType(MLIRContext *ctx) {
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  return FunctionType::get(ctx, {ptrType, IntegerType::get(ctx, 64)}, {});
}

/// The function holding `loop`'s body; `innerCounts` are the parent's trip
/// counts of dimensions 1..n-1.
func::FuncOp outlineBody(scf::ParallelOp loop, func::FuncOp parent,
                         const Captures &captures, ArrayRef<Value> innerCounts,
                         SymbolTable &symbols) {
  MLIRContext *ctx = loop.getContext();
  Location loc = loop.getLoc();
  OpBuilder b(ctx);
  auto body = func::FuncOp::create(b, loc,
                                   (parent.getSymName() + "_work_item").str(),
                                   bodyType(ctx));
  body.setPrivate();
  // Private to the module in LLVM too: nothing outside calls it by name.
  body->setAttr("llvm.linkage",
                LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  symbols.insert(body);
  Block *entry = body.addEntryBlock();
  b.setInsertionPointToStart(entry);

  IRMapping mapping;
  for (Value value : captures.cloned)
    mapping.map(value, b.clone(*value.getDefiningOp())->getResult(0));
  auto structType = LLVM::LLVMStructType::getLiteral(ctx, captures.fields);
  for (auto [i, value] : llvm::enumerate(captures.passed)) {
    Value address =
        fieldAddress(b, loc, structType, entry->getArgument(0), i);
    Value field =
        LLVM::LoadOp::create(b, loc, captures.fields[i], address);
    mapping.map(value, fromField(b, loc, field, value.getType()));
  }

  auto lookup = [&](ValueRange values) {
    return llvm::map_to_vector(values, [&](Value v) {
      return mapping.lookup(v);
    });
  };
  Value item = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                          entry->getArgument(1));
  SmallVector<Value> ivs =
      delinearize(b, loc, item, lookup(loop.getLowerBound()),
                  lookup(loop.getStep()), lookup(innerCounts));
  mapping.map(loop.getInductionVars(), ivs);
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, mapping);
  func::ReturnOp::create(b, loc);
  return body;
}

/// The stack struct holding `captures.passed`, allocated once at the
/// function's entry (the loop may itself sit in a sequential loop), filled
/// before `loop`. Null when nothing is passed.
Value buildContext(OpBuilder &b, scf::ParallelOp loop, func::FuncOp parent,
                   const Captures &captures) {
  Location loc = loop.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  if (captures.passed.empty())
    return LLVM::ZeroOp::create(b, loc, ptrType);
  auto structType =
      LLVM::LLVMStructType::getLiteral(b.getContext(), captures.fields);
  Value context;
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&parent.getBody().front());
    Value one = LLVM::ConstantOp::create(b, loc, b.getI64Type(),
                                         b.getI64IntegerAttr(1));
    context = LLVM::AllocaOp::create(b, loc, ptrType, structType, one);
  }
  for (auto [i, value] : llvm::enumerate(captures.passed)) {
    Value field = toField(b, loc, value, captures.fields[i]);
    LLVM::StoreOp::create(b, loc, field,
                          fieldAddress(b, loc, structType, context, i));
  }
  return context;
}

void callRuntime(OpBuilder &b, Location loc, Value count, func::FuncOp body,
                 func::FuncOp runtime, Value context) {
  Value countI64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  Value fn = func::ConstantOp::create(b, loc, body.getFunctionType(),
                                      SymbolRefAttr::get(body));
  func::CallOp::create(b, loc, runtime, ValueRange{countI64, fn, context});
}

void callBodyOnce(OpBuilder &b, Location loc, func::FuncOp body,
                  Value context) {
  Value first = arith::ConstantIntOp::create(b, loc, 0, 64);
  func::CallOp::create(b, loc, body, ValueRange{context, first});
}

/// count > 1: the runtime; count == 1: the body, directly; else nothing.
/// Decided here when the count is a constant.
void dispatch(OpBuilder &b, Location loc, Value count, func::FuncOp body,
              func::FuncOp runtime, Value context) {
  if (std::optional<int64_t> known = getConstantIntValue(count)) {
    if (*known > 1)
      callRuntime(b, loc, count, body, runtime, context);
    else if (*known == 1)
      callBodyOnce(b, loc, body, context);
    return;
  }
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value many = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, count,
                                     one);
  Value single = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                       count, one);
  scf::IfOp::create(
      b, loc, many,
      [&](OpBuilder &then, Location at) {
        callRuntime(then, at, count, body, runtime, context);
        scf::YieldOp::create(then, at);
      },
      [&](OpBuilder &otherwise, Location at) {
        scf::IfOp::create(otherwise, at, single,
                          [&](OpBuilder &inner, Location at) {
                            callBodyOnce(inner, at, body, context);
                            scf::YieldOp::create(inner, at);
                          });
        scf::YieldOp::create(otherwise, at);
      });
}

/// The declaration of attn_parallel_for(i64, body, ptr), created on first
/// use; an existing symbol of that name must have this type.
FailureOr<func::FuncOp> lookupRuntime(ModuleOp module, SymbolTable &symbols) {
  MLIRContext *ctx = module.getContext();
  auto type = FunctionType::get(
      ctx,
      {IntegerType::get(ctx, 64), bodyType(ctx), LLVM::LLVMPointerType::get(ctx)},
      {});
  Operation *existing = symbols.lookup(attn::kParallelForFunction);
  if (!existing) {
    OpBuilder b(ctx);
    auto decl = func::FuncOp::create(b, module.getLoc(),
                                     attn::kParallelForFunction, type);
    decl.setPrivate();
    symbols.insert(decl, module.getBody()->begin());
    return decl;
  }
  auto decl = dyn_cast<func::FuncOp>(existing);
  if (!decl || decl.getFunctionType() != type)
    return existing->emitError()
           << "'" << attn::kParallelForFunction
           << "' is the parallel-for runtime entry point and must be a "
              "func.func of type "
           << type;
  return decl;
}

struct ParallelLoopsToRuntimePass
    : public attn::impl::ParallelLoopsToRuntimeBase<
          ParallelLoopsToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    LowerToLLVMOptions options(
        &getContext(),
        getAnalysis<DataLayoutAnalysis>().getAtOrAbove(module));
    LLVMTypeConverter converter(&getContext(), options);
    for (scf::ParallelOp loop : outermostLoops(module))
      if (failed(outline(loop, module, converter, symbols)))
        return signalPassFailure();
  }

  /// Those of `module` itself: a nested module has its own symbols.
  static SmallVector<scf::ParallelOp> outermostLoops(ModuleOp module) {
    SmallVector<scf::ParallelOp> loops;
    module.walk<WalkOrder::PreOrder>([&](scf::ParallelOp loop) {
      if (!isInsideParallelRegion(loop) &&
          loop->getParentOfType<ModuleOp>() == module)
        loops.push_back(loop);
      return WalkResult::skip();
    });
    return loops;
  }

  /// Replaces `loop` by its outlined body and the dispatch, or leaves it as
  /// it is (with a remark when that is a limitation). Fails only on a clash
  /// with the runtime's symbol.
  static LogicalResult outline(scf::ParallelOp loop, ModuleOp module,
                               const LLVMTypeConverter &converter,
                               SymbolTable &symbols) {
    if (failed(checkOutlinable(loop, converter)))
      return success();
    // Known to have at most one item: the sequential loop is all it needs.
    if (std::optional<int64_t> items = constantItemCount(loop);
        items && *items <= 1)
      return success();
    FailureOr<func::FuncOp> runtime = lookupRuntime(module, symbols);
    if (failed(runtime))
      return failure();
    auto parent = loop->getParentOfType<func::FuncOp>();
    OpBuilder b(loop);
    SmallVector<Value> counts = tripCounts(b, loop);
    SmallVector<Value> bounds(loop.getLowerBound());
    llvm::append_range(bounds, loop.getStep());
    ArrayRef<Value> innerCounts = ArrayRef(counts).drop_front();
    llvm::append_range(bounds, innerCounts);
    Captures captures = collectCaptures(loop, bounds, converter);
    func::FuncOp body =
        outlineBody(loop, parent, captures, innerCounts, symbols);
    Value context = buildContext(b, loop, parent, captures);
    dispatch(b, loop.getLoc(), product(b, loop.getLoc(), counts), body,
             *runtime, context);
    loop.erase();
    return success();
  }
};

} // namespace
