//===- Runner.cpp - bind a spec to concrete inputs and run it -------------===//

#include "attn/Runner/Runner.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include <cmath>
#include <limits>
#include <optional>
#include <random>

#include <unistd.h>

using namespace mlir;
using namespace attn;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// The op operand slots in the op's order (operandRoles()): q, k, v,
/// optional operands, then captures; null for absent optional operands.
static SmallVector<std::pair<ArgRole, Value>> operandSlots(AttentionOp op) {
  SmallVector<std::pair<ArgRole, Value>> slots;
  for (const OperandRoleInfo &info : operandRoles())
    if (info.singleOperand())
      slots.push_back({info.role, operandOf(op, info.role)});
  for (Value c : op.getCaptures())
    slots.push_back({ArgRole::Capture, c});
  return slots;
}

StringRef attn::argRoleName(ArgRole role) {
  return operandRoleInfo(role).name;
}

/// The name of an argument without attn.name: q, k and v as in attn-run's
/// --q/--k/--v, the role name otherwise.
static StringRef defaultArgName(ArgRole role) {
  switch (role) {
  case ArgRole::Query: return "q";
  case ArgRole::Key: return "k";
  case ArgRole::Value: return "v";
  default: return argRoleName(role);
  }
}

Type attn::sixteenBitElementType(MLIRContext *context, StringRef name) {
  if (name == "f16")
    return Float16Type::get(context);
  if (name == "bf16")
    return BFloat16Type::get(context);
  return {};
}

/// A region's capture arguments take the types of their (possibly retyped
/// or specialized) captures: a branch may capture Q, K or V of another.
static void syncCaptureArgumentTypes(func::FuncOp func) {
  func.walk([&](AttentionOp op) {
    unsigned numCaptures = op.getNumCaptures();
    for (Region *region :
         {&op.getMaskFn(), &op.getScoreMod(), &op.getWeightMod()}) {
      if (region->empty())
        continue;
      Block &block = region->front();
      unsigned first = block.getNumArguments() - numCaptures;
      for (unsigned c = 0; c < numCaptures; ++c)
        block.getArgument(first + c).setType(op.getCaptures()[c].getType());
    }
  });
}

LogicalResult attn::retypeAttentionInputs(ModuleOp module,
                                          llvm::StringRef funcName,
                                          Type elementType) {
  auto func = module.lookupSymbol<func::FuncOp>(funcName);
  if (!func || func.isExternal())
    return failure();
  auto retype = [&](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    v.setType(t.clone(elementType));
  };
  bool changed = false;
  // Pooled keys and values of a branch take the spec's type too (a
  // branch's Q, K and V share one element type).
  func.walk([&](PoolBlocksOp pool) {
    if (cast<RankedTensorType>(pool.getPooled().getType()).getElementType() !=
        elementType) {
      retype(pool.getPooled());
      changed = true;
    }
  });
  WalkResult walk = func.walk([&](AttentionOp op) {
    for (Value v : {op.getQuery(), op.getKey(), op.getValue()})
      if ((!isa<BlockArgument>(v) ||
           cast<BlockArgument>(v).getOwner() != &func.front()) &&
          !v.getDefiningOp<PoolBlocksOp>())
        return WalkResult::interrupt();
    // Integer and FP8 Q and K are quantized operands (i8, i4, 1-bit,
    // f8E4M3FN, f8E5M2): they keep their type. Pooled keys and values of a
    // branch (attn.pool_blocks) were retyped above.
    for (Value v : {op.getQuery(), op.getKey(), op.getValue(), op.getOutput()}) {
      if (v.getDefiningOp<PoolBlocksOp>())
        continue;
      Type element = cast<RankedTensorType>(v.getType()).getElementType();
      if (element != elementType && isUnquantizedFloatType(element)) {
        retype(v);
        changed = true;
      }
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  // The combinations of a multi-branch spec take their branches' type.
  func.walk([&](Operation *op) {
    if (!isa<BranchMergeOp, GatedSumOp>(op))
      return;
    Value out = op->getResult(0);
    Type element = cast<RankedTensorType>(out.getType()).getElementType();
    if (element != elementType && isa<FloatType>(element)) {
      retype(out);
      changed = true;
    }
  });
  if (!changed)
    return success();
  syncCaptureArgumentTypes(func);
  func.setType(FunctionType::get(
      func.getContext(), func.front().getArgumentTypes(),
      func.front().getTerminator()->getOperandTypes()));
  return mlir::verify(func);
}

FailureOr<AttentionOp> attn::findSpecAttention(ModuleOp module,
                                               StringRef entry) {
  func::FuncOp func;
  if (!entry.empty()) {
    func = module.lookupSymbol<func::FuncOp>(entry);
    if (!func)
      return module.emitError() << "no function named '" << entry << "'";
  } else {
    for (auto f : module.getOps<func::FuncOp>()) {
      bool has = false;
      f.walk([&](AttentionOp) { has = true; });
      if (!has)
        continue;
      if (func)
        return f.emitError() << "several functions hold attn.attention; "
                                "choose one with --entry";
      func = f;
    }
    if (!func)
      return module.emitError() << "no function holds an attn.attention";
  }
  if (func.isExternal())
    return func.emitError() << "the entry function has no body";
  SmallVector<AttentionOp> ops;
  func.walk([&](AttentionOp op) { ops.push_back(op); });
  if (ops.empty())
    return func.emitError() << "the entry function holds no attn.attention";
  if (ops.size() == 1)
    return ops.front();
  // Several branches: the body is attn ops only, and the first branch that
  // reads Q, K and V from the arguments gives the problem's sizes.
  for (Operation &o : func.getBody().front().without_terminator())
    if (!isa<AttentionOp, BranchMergeOp, GatedSumOp, PoolBlocksOp>(o))
      return o.emitError()
             << "a multi-branch spec function holds attn.attention, "
                "attn.pool_blocks, attn.merge and attn.gated_sum ops only";
  auto isArgument = [&](Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && arg.getOwner() == &func.getBody().front();
  };
  for (AttentionOp op : ops)
    if (isArgument(op.getQuery()) && isArgument(op.getKey()) &&
        isArgument(op.getValue()))
      return op;
  return func.emitError() << "no attn.attention of the entry function reads "
                             "its query, key and value from the function's "
                             "arguments";
}

/// The op slots of an attn.gated_sum: its gates.
static SmallVector<std::pair<ArgRole, Value>> operandSlots(GatedSumOp op) {
  SmallVector<std::pair<ArgRole, Value>> slots;
  for (Value g : op.getGates())
    slots.push_back({ArgRole::BranchGate, g});
  return slots;
}

FailureOr<SpecBinding> attn::bindSpec(ModuleOp module, StringRef entry) {
  FailureOr<AttentionOp> found = findSpecAttention(module, entry);
  if (failed(found))
    return failure();
  SpecBinding binding;
  AttentionOp op = binding.op = *found;
  func::FuncOp func = binding.func = op->getParentOfType<func::FuncOp>();

  unsigned numArgs = func.getNumArguments();
  binding.roles.assign(numArgs, ArgRole::Capture);
  binding.captureIndex.assign(numArgs, 0);
  std::vector<bool> bound(numArgs, false);
  unsigned captureCount = 0;
  Block &body = func.getBody().front();
  binding.multiBranch = &body.front() != op.getOperation() ||
                        &*std::next(body.begin()) != body.getTerminator();
  // The primary op first (its arguments name q, k, v), then every other op.
  SmallVector<std::pair<ArgRole, Value>> slots = operandSlots(op);
  if (binding.multiBranch)
    for (Operation &o : body.without_terminator()) {
      if (&o == op.getOperation())
        continue;
      if (auto branch = dyn_cast<AttentionOp>(o))
        llvm::append_range(slots, operandSlots(branch));
      else if (auto sum = dyn_cast<GatedSumOp>(o))
        llvm::append_range(slots, operandSlots(sum));
      else if (auto pool = dyn_cast<PoolBlocksOp>(o);
               pool && isa<BlockArgument>(pool.getInput()))
        slots.push_back(
            {pool.getInput() == op.getValue() ? ArgRole::Value : ArgRole::Key,
             pool.getInput()});
    }
  for (auto [role, value] : slots) {
    if (!value)
      continue;
    auto arg = dyn_cast<BlockArgument>(value);
    // A branch may read what another op of the spec computes.
    if (binding.multiBranch && !arg)
      continue;
    if (!arg || arg.getOwner() != &func.getBody().front())
      return op.emitError() << "every operand of attn.attention must be an "
                               "argument of the spec function (the runner "
                               "binds arguments to operands); the "
                            << defaultArgName(role) << " operand is not";
    unsigned n = arg.getArgNumber();
    if (role == ArgRole::Capture)
      ++captureCount;
    if (bound[n])
      continue;
    bound[n] = true;
    binding.roles[n] = role;
    binding.captureIndex[n] = role == ArgRole::Capture ? captureCount - 1 : 0;
  }
  for (unsigned n = 0; n < numArgs; ++n) {
    if (!bound[n])
      return func.emitError() << "argument #" << n
                              << " is not an operand of attn.attention";
    std::string name;
    if (auto attr = func.getArgAttrOfType<StringAttr>(n, "attn.name"))
      name = attr.str();
    else if (binding.roles[n] == ArgRole::Capture)
      name = "capture" + std::to_string(binding.captureIndex[n]);
    else
      name = defaultArgName(binding.roles[n]).str();
    binding.names.push_back(name);
  }

  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  if (binding.multiBranch) {
    Operation *last = ret->getPrevNode();
    if (!isa<AttentionOp, BranchMergeOp, GatedSumOp>(last) ||
        ret.getOperands() != ValueRange(last->getResults()))
      return ret.emitError() << "a multi-branch spec function must return "
                                "the results of its last op (an "
                                "attn.attention, attn.merge or "
                                "attn.gated_sum), in order";
    return binding;
  }
  if (ret.getOperands() != ValueRange(op.getResults()))
    return ret.emitError() << "the entry function must return the results of "
                              "its attn.attention, in order";
  return binding;
}

llvm::Expected<ProblemSize>
attn::parseProblemSize(llvm::StringRef text, llvm::StringRef option,
                       llvm::StringRef alternative) {
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ',');
  if (parts.size() != 6 && parts.size() != 7)
    return llvm::createStringError(
        option + " takes B,Hq,Hkv,Nq,Nk,D[,Dv]" +
        (alternative.empty() ? "" : " or " + alternative.str()));
  int64_t v[7];
  for (auto [i, p] : llvm::enumerate(parts))
    if (p.trim().getAsInteger(10, v[i]) || v[i] <= 0)
      return llvm::createStringError(
          option + " entries must be positive integers, got '" + p + "'");
  return ProblemSize{v[0], v[1], v[2], v[3],
                     v[4], v[5], parts.size() == 7 ? v[6] : v[5]};
}

ProblemSize attn::defaultProblemSize(const SpecBinding &binding) {
  ProblemSize s;
  AttentionOp op = binding.op;
  auto q = cast<RankedTensorType>(op.getQuery().getType());
  auto k = cast<RankedTensorType>(op.getKey().getType());
  auto v = cast<RankedTensorType>(op.getValue().getType());
  auto take = [](int64_t &field, int64_t dim) {
    if (!ShapedType::isDynamic(dim))
      field = dim;
  };
  take(s.b, q.getDimSize(0));
  take(s.b, k.getDimSize(0));
  bool staticHkv = !ShapedType::isDynamic(k.getDimSize(1)) ||
                   !ShapedType::isDynamic(v.getDimSize(1));
  take(s.hkv, k.getDimSize(1));
  take(s.hkv, v.getDimSize(1));
  take(s.hq, q.getDimSize(1));
  bool staticNq = !ShapedType::isDynamic(q.getDimSize(2));
  take(s.nq, q.getDimSize(2));
  take(s.nk, k.getDimSize(2));
  take(s.nk, v.getDimSize(2));
  if (!staticNq && ShapedType::isDynamic(k.getDimSize(2)) &&
      ShapedType::isDynamic(v.getDimSize(2)))
    s.nq = s.nk;
  take(s.d, q.getDimSize(3));
  take(s.d, k.getDimSize(3));
  take(s.dv, v.getDimSize(3));
  walkMasks(op.getMaskAttr(), [&](MaskAttrInterface m) {
    if (auto ph = dyn_cast<PerHeadMaskAttr>(m))
      s.hq = ph.getNumHeads();
    if (auto nb = dyn_cast<NeighborhoodMaskAttr>(m)) {
      // Saturates: a grid too big to run is refused by checkProblemSize.
      int64_t n = 1;
      for (auto [axis, extent] : llvm::enumerate(nb.getGrid().asArrayRef())) {
        int64_t span;
        if (__builtin_mul_overflow(nb.getKernel()[axis],
                                   nb.getDilationAt(axis), &span))
          span = std::numeric_limits<int64_t>::max();
        if (__builtin_mul_overflow(
                n, extent == -1 ? std::max<int64_t>(6, span) : extent, &n))
          n = std::numeric_limits<int64_t>::max();
      }
      s.nq = s.nk = n;
    }
  });
  if (s.hq % s.hkv != 0 && !staticHkv)
    s.hkv = 1;
  return s;
}

/// The extent named `name` ("Nk", "Hq", ...) of `s`, if it is one.
static std::optional<int64_t> namedExtent(StringRef n, const ProblemSize &s) {
  return n == "B" ? s.b : n == "Hq" ? s.hq : n == "Hkv" ? s.hkv
       : n == "Nq" ? s.nq : n == "Nk" ? s.nk : n == "D" ? s.d
       : n == "Dv" ? std::optional<int64_t>(s.dv) : std::nullopt;
}

/// An integer, or an extent name optionally followed by +N or -N.
static std::optional<int64_t> extentExpr(Attribute a, const ProblemSize &s) {
  if (auto i = dyn_cast<IntegerAttr>(a))
    return i.getInt();
  auto str = dyn_cast<StringAttr>(a);
  if (!str)
    return std::nullopt;
  StringRef text = str.getValue().trim();
  size_t op = text.find_first_of("+-");
  std::optional<int64_t> base = namedExtent(text.substr(0, op).trim(), s);
  if (!base || op == StringRef::npos)
    return base;
  int64_t delta;
  if (text.substr(op + 1).trim().getAsInteger(10, delta))
    return std::nullopt;
  // An overflowing extent is malformed (it reports as such), not wrapped.
  int64_t extent;
  if (text[op] == '+' ? __builtin_add_overflow(*base, delta, &extent)
                      : __builtin_sub_overflow(*base, delta, &extent))
    return std::nullopt;
  return extent;
}

/// `full`, with 1 wherever the argument's type has a static extent of 1 (an
/// operand that broadcasts along that dimension).
static std::vector<int64_t> broadcastShape(std::vector<int64_t> full,
                                           RankedTensorType type) {
  for (int64_t d = 0, e = std::min<int64_t>(full.size(), type.getRank());
       d < e; ++d)
    if (type.getDimSize(d) == 1)
      full[d] = 1;
  return full;
}

llvm::Expected<std::vector<int64_t>>
attn::argShape(const SpecBinding &binding, unsigned arg,
               const ProblemSize &s) {
  auto type = cast<RankedTensorType>(binding.func.getArgumentTypes()[arg]);
  if (binding.roles[arg] != ArgRole::Capture) {
    if (auto dims = binding.func.getArgAttrOfType<ArrayAttr>(arg, "attn.dims")) {
      if (static_cast<int64_t>(dims.size()) != type.getRank())
        return makeError("attn.dims of argument '" + binding.names[arg] +
                         "' has " + llvm::Twine(dims.size()) +
                         " entries for a rank-" + llvm::Twine(type.getRank()) +
                         " tensor");
      std::vector<int64_t> shape;
      for (auto [d, a] : llvm::enumerate(dims)) {
        std::optional<int64_t> v = extentExpr(a, s);
        if (!v || *v < 0)
          return makeError("attn.dims of argument '" + binding.names[arg] +
                           "': entry " + llvm::Twine(d) +
                           " must be an integer or an extent name (B, Hq, "
                           "Hkv, Nq, Nk, D, Dv, optionally +/- an integer)");
        shape.push_back(*v);
      }
      return shape;
    }
  }
  switch (binding.roles[arg]) {
  case ArgRole::Query: return std::vector<int64_t>{s.b, s.hq, s.nq, s.d};
  case ArgRole::Key: return std::vector<int64_t>{s.b, s.hkv, s.nk, s.d};
  case ArgRole::Value: return std::vector<int64_t>{s.b, s.hkv, s.nk, s.dv};
  case ArgRole::QSegmentIds: return std::vector<int64_t>{s.b, s.nq};
  case ArgRole::KvSegmentIds: return std::vector<int64_t>{s.b, s.nk};
  case ArgRole::AlibiSlopes: return std::vector<int64_t>{s.hq};
  case ArgRole::SinkLogits: return std::vector<int64_t>{s.hq};
  case ArgRole::KHeadMap:
  case ArgRole::VHeadMap: {
    if (type.getRank() == 1)
      return std::vector<int64_t>{s.hq};
    return std::vector<int64_t>{type.getDimSize(0) == 1 ? 1 : s.b, s.hq};
  }
  case ArgRole::Decay:
    // Rank 4: a gate per key channel (GLA), one per feature of D.
    if (type.getRank() == 4)
      return broadcastShape({s.b, s.hq, s.nk, s.d}, type);
    return broadcastShape({s.b, s.hq, s.nk}, type);
  case ArgRole::QScale:
  case ArgRole::KScale: {
    QuantizedQKAttr quant = binding.op.getQuantizationAttr();
    bool query = binding.roles[arg] == ArgRole::QScale;
    int64_t block = !quant ? 1 : query ? quant.getQBlock() : quant.getKBlock();
    int64_t tokens = query ? s.nq : s.nk;
    return broadcastShape(
        {s.b, query ? s.hq : s.hkv, (tokens + block - 1) / block}, type);
  }
  case ArgRole::VScale: {
    // Per channel [B, Hv, Dv], else per token block [B, Hv, ceil(Nk / b)].
    QuantizedVAttr quant = binding.op.getValueQuantizationAttr();
    bool channels = quant && quant.getPer() == VScaleGranularity::Channel;
    int64_t block = quant ? quant.getBlock() : 1;
    return broadcastShape(
        {s.b, s.hkv, channels ? s.dv : (s.nk + block - 1) / block}, type);
  }
  case ArgRole::KSalient: {
    QuantizedQKAttr quant = binding.op.getQuantizationAttr();
    int64_t block = quant ? quant.getKBlock() : 1;
    return broadcastShape({s.b, s.hkv, (s.nk + block - 1) / block}, type);
  }
  case ArgRole::Rotation:
    return broadcastShape({s.hkv, s.d, s.d}, type);
  case ArgRole::LowRankU:
  case ArgRole::LowRankW: {
    // [Hq|1, D, R] and [Hk|1, D, R]: R is a factor's static extent, else 4.
    int64_t rank = 4;
    for (Value f : {binding.op.getLowRankU(), binding.op.getLowRankW()}) {
      int64_t declared = cast<RankedTensorType>(f.getType()).getDimSize(2);
      if (!ShapedType::isDynamic(declared))
        rank = declared;
    }
    bool u = binding.roles[arg] == ArgRole::LowRankU;
    return broadcastShape({u ? s.hq : s.hkv, s.d, rank}, type);
  }
  case ArgRole::OutputGate:
  case ArgRole::BranchGate:
    // Rank 4: one gate per output element.
    if (type.getRank() == 4)
      return broadcastShape({s.b, s.hq, s.nq, s.dv}, type);
    return broadcastShape({s.b, s.hq, s.nq}, type);
  case ArgRole::FeatureWeight:
  case ArgRole::FeatureBias: {
    // [Hq|1, F, D] and [Hq|1, F]: F is the weight's static extent, else D.
    int64_t f = s.d;
    if (Value w = binding.op.getFeatureWeight()) {
      int64_t declared = cast<RankedTensorType>(w.getType()).getDimSize(1);
      if (!ShapedType::isDynamic(declared))
        f = declared;
    }
    if (Value bias = binding.op.getFeatureBias()) {
      int64_t declared =
          cast<RankedTensorType>(bias.getType()).getDimSize(1);
      if (!ShapedType::isDynamic(declared))
        f = declared;
    }
    if (binding.roles[arg] == ArgRole::FeatureWeight)
      return broadcastShape({s.hq, f, s.d}, type);
    return broadcastShape({s.hq, f}, type);
  }
  case ArgRole::GateQWeight:
  case ArgRole::GateKWeight: {
    // [Hq|1, D, Dg] and [Hk|1, P*D, Dg]: Dg is a weight's static extent,
    // else D.
    int64_t dg = s.d;
    for (Value w : {binding.op.getGateQWeight(), binding.op.getGateKWeight()}) {
      int64_t declared = cast<RankedTensorType>(w.getType()).getDimSize(2);
      if (!ShapedType::isDynamic(declared))
        dg = declared;
    }
    if (binding.roles[arg] == ArgRole::GateQWeight)
      return broadcastShape({s.hq, s.d, dg}, type);
    int64_t pools = binding.op.getSelectionAttr().numPools();
    return broadcastShape({s.hkv, pools * s.d, dg}, type);
  }
  case ArgRole::BlockScores: {
    // [B|1, Hk|1, ceil(Nk / block)], per query block
    // [B|1, Hk|1, ceil(Nq / q_block), ceil(Nk / block)].
    // The first branch's selection gives the extents (a pooled branch's
    // one-key blocks count the first branch's blocks, as in SVG-EAR); a
    // first branch without one cannot, so the argument names its extents.
    TopKBlocksAttr selection = binding.op.getSelectionAttr();
    if (!selection)
      return makeError("block_scores argument '" + binding.names[arg] +
                       "' of a branch after the first: give its extents "
                       "with attn.dims");
    int64_t block = selection.getBlock(), qBlock = selection.getQBlock();
    if (qBlock > 0)
      return broadcastShape({s.b, s.hkv, (s.nq + qBlock - 1) / qBlock,
                             (s.nk + block - 1) / block},
                            type);
    return broadcastShape({s.b, s.hkv, (s.nk + block - 1) / block}, type);
  }
  case ArgRole::Bias:
    return broadcastShape({s.b, s.hq, s.nq, s.nk}, type);
  case ArgRole::BlockLayout: {
    int64_t bq = 1, bk = 1;
    walkMasks(binding.op.getMaskAttr(), [&](MaskAttrInterface m) {
      if (auto bs = dyn_cast<BlockSparseMaskAttr>(m)) {
        bq = bs.getBlockQ();
        bk = bs.getBlockKv();
      }
    });
    std::vector<int64_t> shape = {s.b, s.hq, (s.nq + bq - 1) / bq,
                                  (s.nk + bk - 1) / bk};
    for (int64_t d = 0; d < 2; ++d)
      if (type.getDimSize(d) == 1)
        shape[d] = 1;
    return shape;
  }
  case ArgRole::Capture: {
    std::vector<int64_t> shape;
    auto dims = binding.func.getArgAttrOfType<ArrayAttr>(arg, "attn.dims");
    if (dims && static_cast<int64_t>(dims.size()) != type.getRank())
      return makeError("attn.dims of argument '" + binding.names[arg] +
                       "' has " + llvm::Twine(dims.size()) +
                       " entries for a rank-" + llvm::Twine(type.getRank()) +
                       " tensor");
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (dims) {
        std::optional<int64_t> v = extentExpr(dims[d], s);
        if (!v || *v < 0)
          return makeError("attn.dims of argument '" + binding.names[arg] +
                           "': entry " + llvm::Twine(d) +
                           " must be an integer or one of B, Hq, Hkv, Nq, "
                           "Nk, D, Dv (optionally +/- an integer)");
        shape.push_back(*v);
      } else if (ShapedType::isDynamic(type.getDimSize(d))) {
        return makeError("capture argument '" + binding.names[arg] +
                         "' has a dynamic dimension; give its extents with "
                         "an argument attribute {attn.dims = [...]}");
      } else {
        shape.push_back(type.getDimSize(d));
      }
    }
    return shape;
  }
  }
  return makeError("unknown argument role");
}

std::optional<DType> attn::dtypeOfElement(Type t) {
  if (t.isF64()) return DType::F64;
  if (t.isF32()) return DType::F32;
  if (t.isF16()) return DType::F16;
  if (t.isBF16()) return DType::BF16;
  if (t.isInteger(64) || t.isIndex()) return DType::I64;
  if (t.isInteger(32)) return DType::I32;
  if (t.isInteger(8)) return DType::I8;
  if (t.isInteger(1)) return DType::I1;
  if (t.isInteger(4)) return DType::I4;
  if (isa<Float8E4M3FNType>(t)) return DType::F8E4M3;
  if (isa<Float8E5M2Type>(t)) return DType::F8E5M2;
  return std::nullopt;
}

/// Fills `array` [H, D, D] with random orthogonal matrices (Gram-Schmidt on
/// Gaussian columns, in double, then rounded to the array's type): the
/// rotations of quantized Q K^T.
static void fillOrthogonal(NDArray &array, std::mt19937_64 &rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  int64_t d = array.shape()[2], heads = array.shape()[0];
  std::vector<double> m(d * d);
  for (int64_t h = 0; h < heads; ++h) {
    for (double &x : m)
      x = normal(rng);
    // Columns c of m, orthonormalized in order (modified Gram-Schmidt).
    for (int64_t c = 0; c < d; ++c) {
      for (int64_t p = 0; p < c; ++p) {
        double dot = 0.0;
        for (int64_t r = 0; r < d; ++r)
          dot += m[r * d + c] * m[r * d + p];
        for (int64_t r = 0; r < d; ++r)
          m[r * d + c] -= dot * m[r * d + p];
      }
      double norm = 0.0;
      for (int64_t r = 0; r < d; ++r)
        norm += m[r * d + c] * m[r * d + c];
      norm = std::sqrt(norm);
      for (int64_t r = 0; r < d; ++r)
        m[r * d + c] /= norm;
    }
    for (int64_t x = 0; x < d * d; ++x)
      array.setDouble(h * d * d + x, m[x]);
  }
}

/// The bytes of an array of `shape` and `dtype`, if that fits in int64.
static std::optional<int64_t> arrayBytes(llvm::ArrayRef<int64_t> shape,
                                         DType dtype) {
  int64_t bytes = static_cast<int64_t>(dtypeSize(dtype));
  for (int64_t extent : shape)
    if (extent < 0 || __builtin_mul_overflow(bytes, extent, &bytes))
      return std::nullopt;
  return bytes;
}

static uint64_t physicalMemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0)
    return uint64_t(1) << 40;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize);
}

llvm::Error attn::checkProblemSize(const SpecBinding &binding,
                                   const ProblemSize &size,
                                   uint64_t budgetBytes) {
  struct Array {
    std::string name;
    std::vector<int64_t> shape;
    DType dtype;
  };
  std::vector<Array> arrays;
  for (unsigned n = 0, e = binding.func.getNumArguments(); n < e; ++n) {
    auto type = cast<RankedTensorType>(binding.func.getArgumentTypes()[n]);
    std::optional<DType> dtype = dtypeOfElement(type.getElementType());
    auto shape = argShape(binding, n, size);
    if (!shape)
      return shape.takeError();
    if (dtype)
      arrays.push_back({"argument '" + binding.names[n] + "'", *shape, *dtype});
  }
  auto outType = cast<RankedTensorType>(binding.func.getResultTypes()[0]);
  if (std::optional<DType> dtype = dtypeOfElement(outType.getElementType()))
    arrays.push_back(
        {"the output", {size.b, size.hq, size.nq, size.dv}, *dtype});
  if (binding.func.getNumResults() > 1)
    arrays.push_back({"the lse", {size.b, size.hq, size.nq}, DType::F32});

  uint64_t budget = budgetBytes ? budgetBytes : physicalMemoryBytes();
  uint64_t total = 0;
  const Array *largest = nullptr;
  int64_t largestBytes = 0;
  auto shapeText = [](llvm::ArrayRef<int64_t> shape) {
    std::string text;
    for (int64_t x : shape)
      text += (text.empty() ? "" : "x") + std::to_string(x);
    return text;
  };
  for (const Array &a : arrays) {
    if (llvm::any_of(a.shape, [](int64_t x) { return x < 0; }))
      return makeError(a.name + " would have the negative shape " +
                       shapeText(a.shape));
    std::optional<int64_t> bytes = arrayBytes(a.shape, a.dtype);
    if (!bytes)
      return makeError(a.name + " of shape " + shapeText(a.shape) +
                       " has more bytes than a 64-bit size can count");
    total += static_cast<uint64_t>(*bytes);
    if (*bytes >= largestBytes) {
      largestBytes = *bytes;
      largest = &a;
    }
    if (total > budget)
      break;
  }
  if (total > budget)
    return makeError("the arrays of this problem need more than " +
                     llvm::Twine(budget) + " bytes (" +
                     (budgetBytes ? "the budget" : "this machine's memory") +
                     "); the largest, " + largest->name + " of shape " +
                     shapeText(largest->shape) + ", alone needs " +
                     llvm::Twine(largestBytes) + " bytes");
  return llvm::Error::success();
}

llvm::Expected<std::vector<NDArray>>
attn::makeRandomInputs(const SpecBinding &binding, const ProblemSize &size,
                       uint64_t seed) {
  if (llvm::Error err = checkProblemSize(binding, size))
    return std::move(err);
  std::mt19937_64 rng(seed);
  std::vector<NDArray> args;
  // Head counts of K and V (V may have its own with v_head_map).
  int64_t keyHeads = size.hkv, valueHeads = size.hkv;
  for (unsigned n = 0, e = binding.func.getNumArguments(); n < e; ++n) {
    if (binding.roles[n] != ArgRole::Key && binding.roles[n] != ArgRole::Value)
      continue;
    auto shape = argShape(binding, n, size);
    if (!shape)
      return shape.takeError();
    (binding.roles[n] == ArgRole::Key ? keyHeads : valueHeads) = (*shape)[1];
  }
  for (unsigned n = 0, e = binding.func.getNumArguments(); n < e; ++n) {
    auto type = cast<RankedTensorType>(binding.func.getArgumentTypes()[n]);
    std::optional<DType> dtype = dtypeOfElement(type.getElementType());
    if (!dtype)
      return makeError("argument '" + binding.names[n] +
                       "' has an unsupported element type");
    auto shape = argShape(binding, n, size);
    if (!shape)
      return shape.takeError();
    NDArray array(*dtype, *shape);
    switch (binding.roles[n]) {
    case ArgRole::QSegmentIds:
    case ArgRole::KvSegmentIds: {
      // Sorted document ids over the key positions; queries take the id of
      // their bottom-right aligned key position.
      std::bernoulli_distribution newDoc(0.12);
      for (int64_t bi = 0; bi < size.b; ++bi) {
        std::vector<int64_t> kv(size.nk);
        int64_t doc = 0;
        for (int64_t j = 0; j < size.nk; ++j) {
          if (j > 0 && newDoc(rng))
            ++doc;
          kv[j] = doc;
        }
        int64_t len = (*shape)[1];
        for (int64_t t = 0; t < len; ++t) {
          int64_t pos = binding.roles[n] == ArgRole::KvSegmentIds
                            ? t
                            : t + size.nk - size.nq;
          pos = std::clamp<int64_t>(pos, 0, size.nk - 1);
          array.setDouble(bi * len + t, static_cast<double>(kv[pos]));
        }
      }
      break;
    }
    case ArgRole::BlockLayout: {
      std::bernoulli_distribution keep(0.5);
      auto sh = *shape;
      for (int64_t i = 0, total = array.numElements(); i < total; ++i) {
        int64_t kb = i % sh[3], qb = (i / sh[3]) % sh[2];
        array.setDouble(i, (qb == kb || keep(rng)) ? 1.0 : 0.0);
      }
      break;
    }
    case ArgRole::AlibiSlopes: {
      std::uniform_real_distribution<double> dist(0.01, 1.0);
      for (int64_t i = 0, total = array.numElements(); i < total; ++i)
        array.setDouble(i, dist(rng));
      break;
    }
    case ArgRole::KHeadMap:
    case ArgRole::VHeadMap: {
      int64_t heads =
          binding.roles[n] == ArgRole::KHeadMap ? keyHeads : valueHeads;
      array.fillUniformInt(rng, 0, std::max<int64_t>(heads, 1) - 1);
      break;
    }
    case ArgRole::Decay: {
      // Decays close to 1, as trained models have them (RetNet: 1 - 2^-5
      // .. 1 - 2^-9), with a few strong ones.
      std::uniform_real_distribution<double> dist(0.8, 1.0);
      std::bernoulli_distribution strong(0.05);
      for (int64_t i = 0, total = array.numElements(); i < total; ++i)
        array.setDouble(i, strong(rng) ? 0.1 : dist(rng));
      break;
    }
    case ArgRole::Rotation:
      fillOrthogonal(array, rng);
      break;
    case ArgRole::LowRankU:
    case ArgRole::LowRankW:
      // N(0, 1 / D): a projected unit-variance row is about N(0, 1), so
      // the R-wide term is of the order of a score.
      array.fillNormal(rng, 1.0 / std::sqrt(static_cast<double>(
                                     std::max<int64_t>((*shape)[1], 1))));
      break;
    case ArgRole::KSalient: {
      // About a quarter of the key blocks salient (ZipCache keeps a
      // fraction of the tokens at more bits).
      std::bernoulli_distribution salient(0.25);
      for (int64_t i = 0, total = array.numElements(); i < total; ++i)
        array.setDouble(i, salient(rng) ? 1.0 : 0.0);
      break;
    }
    case ArgRole::QScale:
    case ArgRole::KScale:
    case ArgRole::VScale: {
      // Scales of i8 (i4) values spread over [-127, 127] ([-7, 7]):
      // dequantized values of magnitude about 1, as absmax / 127 scales
      // give.
      Value scaled = binding.roles[n] == ArgRole::QScale ? binding.op.getQuery()
                     : binding.roles[n] == ArgRole::KScale
                         ? binding.op.getKey()
                         : binding.op.getValue();
      Type scaledElement =
          cast<RankedTensorType>(scaled.getType()).getElementType();
      // FP8 values drawn N(0, (F / 4)^2): scales about 4 / F.
      double m = scaledElement.isInteger(4)                ? 7.0
                 : isa<Float8E4M3FNType>(scaledElement) ? 448.0 / 4.0
                 : isa<Float8E5M2Type>(scaledElement)   ? 57344.0 / 4.0
                                                        : 127.0;
      std::uniform_real_distribution<double> dist(0.5 / m, 2.0 / m);
      for (int64_t i = 0, total = array.numElements(); i < total; ++i)
        array.setDouble(i, dist(rng));
      break;
    }
    case ArgRole::FeatureWeight: {
      // N(0, 1 / D): the projection W x of a unit-variance row is about
      // N(0, 1), so exp(+-(W x + b)) stays moderate (Hedgehog).
      array.fillNormal(rng, 1.0 / std::sqrt(static_cast<double>(
                                     std::max<int64_t>((*shape)[2], 1))));
      break;
    }
    case ArgRole::GateQWeight:
    case ArgRole::GateKWeight: {
      // N(0, 1 / rows): a projected unit-variance row is about N(0, 1).
      array.fillNormal(rng, 1.0 / std::sqrt(static_cast<double>(
                                     std::max<int64_t>((*shape)[1], 1))));
      break;
    }
    case ArgRole::FeatureBias: {
      std::uniform_real_distribution<double> dist(-0.5, 0.5);
      for (int64_t i = 0, total = array.numElements(); i < total; ++i)
        array.setDouble(i, dist(rng));
      break;
    }
    case ArgRole::OutputGate:
    case ArgRole::BranchGate: {
      std::uniform_real_distribution<double> dist(0.0, 1.0);
      std::bernoulli_distribution pruned(0.25);
      for (int64_t i = 0, total = array.numElements(); i < total; ++i) {
        double g = dist(rng);
        array.setDouble(i, pruned(rng) ? 0.0 : g);
      }
      break;
    }
    case ArgRole::Query:
    case ArgRole::Key:
    case ArgRole::Value:
      // Pre-quantized Q, K and V: the symmetric range, [-127, 127] for i8 and
      // [-7, 7] for i4; float ones as any float argument (attn.range, else
      // normal).
      if (*dtype == DType::I8 || *dtype == DType::I4) {
        int64_t m = *dtype == DType::I8 ? 127 : 7;
        array.fillUniformInt(rng, -m, m);
        break;
      }
      // Pre-quantized FP8: N(0, (F / 4)^2) rounded to the format
      // (saturating at F), so the values span the normal range.
      if (isFP8DType(*dtype)) {
        array.fillNormal(rng, (*dtype == DType::F8E4M3 ? 448.0 : 57344.0) /
                                  4.0);
        break;
      }
      [[fallthrough]];
    case ArgRole::Capture:
      if (!isFloatDType(*dtype)) {
        int64_t lo = 0, hi = 1;
        if (auto range =
                binding.func.getArgAttrOfType<ArrayAttr>(n, "attn.range")) {
          std::optional<int64_t> l, h;
          if (range.size() == 2) {
            l = extentExpr(range[0], size);
            h = extentExpr(range[1], size);
          }
          if (!l || !h)
            return makeError("attn.range of argument '" + binding.names[n] +
                             "' must be [lo, hi] integers (or extent names "
                             "such as \"Nk-1\")");
          lo = *l;
          hi = *h;
        }
        array.fillUniformInt(rng, lo, hi);
        break;
      }
      [[fallthrough]];
    default:
      if (auto range =
              binding.func.getArgAttrOfType<ArrayAttr>(n, "attn.range");
          range && isFloatDType(*dtype)) {
        // Float arguments with a range: uniform reals, or uniform integers
        // when both bounds are integers.
        auto bound = [&](Attribute a) -> std::optional<double> {
          if (auto f = dyn_cast<FloatAttr>(a))
            return f.getValueAsDouble();
          if (std::optional<int64_t> v = extentExpr(a, size))
            return static_cast<double>(*v);
          return std::nullopt;
        };
        std::optional<double> lo, hi;
        if (range.size() == 2) {
          lo = bound(range[0]);
          hi = bound(range[1]);
        }
        if (!lo || !hi || *lo > *hi)
          return makeError("attn.range of argument '" + binding.names[n] +
                           "' must be [lo, hi] with lo <= hi (numbers or "
                           "extent names)");
        bool integral = !isa<FloatAttr>(range[0]) && !isa<FloatAttr>(range[1]);
        if (integral) {
          array.fillUniformInt(rng, static_cast<int64_t>(*lo),
                               static_cast<int64_t>(*hi));
        } else {
          std::uniform_real_distribution<double> dist(*lo, *hi);
          for (int64_t i = 0, total = array.numElements(); i < total; ++i)
            array.setDouble(i, dist(rng));
        }
        break;
      }
      array.fillNormal(rng);
      break;
    }
    args.push_back(std::move(array));
  }
  return args;
}

llvm::Expected<ProblemSize> attn::problemSizeOf(const SpecBinding &binding,
                                                ArrayRef<NDArray> args) {
  const NDArray *q = nullptr, *k = nullptr, *v = nullptr;
  for (auto [n, role] : llvm::enumerate(binding.roles)) {
    if (role == ArgRole::Query) q = &args[n];
    if (role == ArgRole::Key) k = &args[n];
    if (role == ArgRole::Value) v = &args[n];
  }
  for (auto [name, a] : {std::make_pair("q", q), std::make_pair("k", k),
                         std::make_pair("v", v)})
    if (!a || a->rank() != 4)
      return makeError(llvm::Twine(name) +
                       " must be a rank-4 array [batch, heads, seq, dim]");
  ProblemSize s;
  s.b = q->shape()[0];
  s.hq = q->shape()[1];
  s.nq = q->shape()[2];
  s.d = q->shape()[3];
  s.hkv = k->shape()[1];
  s.nk = k->shape()[2];
  s.dv = v->shape()[3];
  return s;
}

FailureOr<OwningOpRef<ModuleOp>>
attn::specializeToShapes(const SpecBinding &binding, ArrayRef<NDArray> args) {
  SmallVector<std::pair<DType, SmallVector<int64_t, 4>>> argTypes;
  for (const NDArray &a : args)
    argTypes.push_back({a.dtype(), SmallVector<int64_t, 4>(a.shape())});
  return specializeToTypes(binding, argTypes);
}

FailureOr<OwningOpRef<ModuleOp>> attn::specializeToTypes(
    const SpecBinding &binding,
    ArrayRef<std::pair<DType, SmallVector<int64_t, 4>>> args) {
  ModuleOp original = binding.func->getParentOfType<ModuleOp>();
  OwningOpRef<ModuleOp> module(cast<ModuleOp>(original->clone()));
  auto func = module->lookupSymbol<func::FuncOp>(binding.func.getSymName());
  if (args.size() != func.getNumArguments())
    return func.emitError() << "expected " << func.getNumArguments()
                            << " inputs, got " << args.size();
  SmallVector<Type> types;
  // The extents after specialization: -1 (kDynamicExtent) keeps the spec's
  // extent (dynamic, or the static one it declares) as it is.
  SmallVector<SmallVector<int64_t, 4>> extents;
  for (auto [n, arg] : llvm::enumerate(args)) {
    auto type = cast<RankedTensorType>(func.getArgumentTypes()[n]);
    std::optional<DType> want = dtypeOfElement(type.getElementType());
    auto &[dtype, shape] = arg;
    if (!want || *want != dtype)
      return func.emitError()
             << "input '" << binding.names[n] << "' has dtype "
             << dtypeName(dtype) << " but the spec declares "
             << type.getElementType();
    if (static_cast<int64_t>(shape.size()) != type.getRank())
      return func.emitError() << "input '" << binding.names[n] << "' has rank "
                              << shape.size() << " but the spec declares rank "
                              << type.getRank();
    SmallVector<int64_t, 4> resolved;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      int64_t declared = type.getDimSize(d);
      if (shape[d] == kDynamicExtent) {
        resolved.push_back(declared);
        continue;
      }
      if (shape[d] < 0)
        return func.emitError()
               << "input '" << binding.names[n] << "' dimension " << d
               << " is " << shape[d]
               << " (an extent, or -1 to keep the spec's)";
      if (!ShapedType::isDynamic(declared) && declared != shape[d])
        return func.emitError()
               << "input '" << binding.names[n] << "' dimension " << d
               << " is " << shape[d] << " but the spec declares "
               << declared;
      resolved.push_back(shape[d]);
    }
    types.push_back(RankedTensorType::get(resolved, type.getElementType()));
    extents.push_back(std::move(resolved));
  }
  Block &entry = func.getBody().front();
  for (auto [arg, type] : llvm::zip(entry.getArguments(), types))
    arg.setType(type);
  // Results get the extents the inputs give (static where those are), so
  // that fully static results become caller-owned out-params when
  // bufferized.
  std::optional<ProblemSize> problem;
  {
    ProblemSize p;
    auto dims = [&](ArgRole role) -> ArrayRef<int64_t> {
      for (auto [n, r] : llvm::enumerate(binding.roles))
        if (r == role)
          return extents[n];
      return {};
    };
    ArrayRef<int64_t> q = dims(ArgRole::Query), k = dims(ArgRole::Key),
                      v = dims(ArgRole::Value);
    if (q.size() != 4 || k.size() != 4 || v.size() != 4)
      return func.emitError() << "q, k and v must have rank 4";
    p.b = q[0]; p.hq = q[1]; p.nq = q[2]; p.d = q[3];
    p.hkv = k[1]; p.nk = k[2]; p.dv = v[3];
    // Extents left dynamic are checked when the kernel runs.
    auto print = [](int64_t e) {
      return ShapedType::isDynamic(e) ? std::string("?") : std::to_string(e);
    };
    for (int64_t extent : {p.b, p.hq, p.nq, p.d, p.hkv, p.nk, p.dv})
      if (!ShapedType::isDynamic(extent) && extent <= 0)
        return func.emitError()
               << "q, k and v must have non-zero extents, got q ["
               << print(q[0]) << ", " << print(q[1]) << ", " << print(q[2])
               << ", " << print(q[3]) << "], k [" << print(k[0]) << ", "
               << print(k[1]) << ", " << print(k[2]) << ", " << print(k[3])
               << "], v [" << print(v[0]) << ", " << print(v[1]) << ", "
               << print(v[2]) << ", " << print(v[3]) << "]";
    problem = p;
  }
  int64_t outExtents[4] = {problem->b, problem->hq, problem->nq, problem->dv};
  // Every op's results, in order (a multi-branch spec: pooled operands,
  // branches, combinations).
  for (Operation &o : func.getBody().front().without_terminator()) {
    if (auto pool = dyn_cast<PoolBlocksOp>(o)) {
      auto in = cast<RankedTensorType>(pool.getInput().getType());
      SmallVector<int64_t, 4> shape(in.getShape());
      if (!ShapedType::isDynamic(shape[2]))
        shape[2] = (shape[2] + pool.getBlock() - 1) / pool.getBlock();
      pool.getPooled().setType(RankedTensorType::get(
          shape, cast<RankedTensorType>(pool.getPooled().getType())
                     .getElementType()));
      if (Value counts = pool.getLogCounts())
        counts.setType(RankedTensorType::get(
            {1, 1, 1, shape[2]}, Float32Type::get(module->getContext())));
      continue;
    }
    if (isa<BranchMergeOp, GatedSumOp>(o)) {
      o.getResult(0).setType(o.getOperand(0).getType());
      if (auto merge = dyn_cast<BranchMergeOp>(o); merge && merge.getLse())
        merge.getLse().setType(
            cast<RankedTensorType>(merge.getLses().front().getType()));
      continue;
    }
    auto op = dyn_cast<AttentionOp>(o);
    if (!op)
      continue;
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  SmallVector<int64_t, 4> outShape;
  for (auto [d, extent] : llvm::enumerate(outExtents)) {
    int64_t declared = outType.getDimSize(d);
    if (ShapedType::isDynamic(extent)) {
      outShape.push_back(declared);
      continue;
    }
    if (!ShapedType::isDynamic(declared) && declared != extent)
      return op.emitOpError() << "output dimension " << d << " is declared "
                              << declared << " but the inputs give " << extent;
    outShape.push_back(extent);
  }
  op.getOutput().setType(
      RankedTensorType::get(outShape, outType.getElementType()));
  if (Value lse = op.getLse()) {
    auto lseType = cast<RankedTensorType>(lse.getType());
    SmallVector<int64_t, 3> lseShape(outShape.begin(), outShape.begin() + 3);
    for (int64_t d = 0; d < 3; ++d)
      if (ShapedType::isDynamic(lseShape[d]))
        lseShape[d] = lseType.getDimSize(d);
    lse.setType(RankedTensorType::get(lseShape,
                                      Float32Type::get(module->getContext())));
  }
  }
  func.setFunctionType(FunctionType::get(
      module->getContext(), types,
      func.getBody().front().getTerminator()->getOperandTypes()));
  syncCaptureArgumentTypes(func);
  if (failed(verify(*module)))
    return failure();
  return module;
}

std::vector<NDArray> attn::allocateResults(const SpecBinding &binding,
                                           const ProblemSize &s) {
  std::vector<NDArray> results;
  auto outType = cast<RankedTensorType>(binding.func.getResultTypes()[0]);
  results.emplace_back(*dtypeOfElement(outType.getElementType()),
                       std::vector<int64_t>{s.b, s.hq, s.nq, s.dv});
  if (binding.func.getNumResults() > 1)
    results.emplace_back(DType::F32, std::vector<int64_t>{s.b, s.hq, s.nq});
  return results;
}

/// Whether the values of an argument of `role` and `dtype` obey a rule that
/// compiled kernels do not check.
static bool hasValueRule(ArgRole role, DType dtype) {
  switch (role) {
  case ArgRole::Decay:
  case ArgRole::QScale:
  case ArgRole::KScale:
  case ArgRole::VScale:
  case ArgRole::KSalient:
    return true;
  case ArgRole::Query:
  case ArgRole::Key:
  case ArgRole::Value:
    return dtype == DType::I8 || dtype == DType::I4 ||
           isFP8DType(dtype); // pre-quantized
  default:
    return false;
  }
}

/// The rule value `a` of `role` (an argument of `dtype`) breaks, or "" when
/// it obeys it.
static StringRef brokenValueRule(ArgRole role, DType dtype, double a) {
  switch (role) {
  case ArgRole::Decay:
    return a > 0.0 && a <= 1.0 ? "" : "a decay must lie in (0, 1]";
  case ArgRole::KSalient:
    return a == 0.0 || a == 1.0 ? "" : "a salient flag is 0 or 1";
  case ArgRole::QScale:
  case ArgRole::KScale:
  case ArgRole::VScale:
    return a > 0.0 && std::isfinite(a)
               ? ""
               : "a quantization scale must be finite and positive";
  default:
    if (isFP8DType(dtype))
      return std::isfinite(a) ? ""
                              : "pre-quantized FP8 values must be finite (NaN "
                                "and infinity patterns are not allowed)";
    if (dtype == DType::I4)
      return a >= -7.0 ? ""
                       : "quantized values are symmetric, in [-7, 7] (-8 "
                         "is not allowed)";
    return a >= -127.0 ? ""
                       : "quantized values are symmetric, in [-127, 127] "
                         "(-128 is not allowed)";
  }
}

llvm::Error attn::checkOperandValues(const SpecBinding &binding,
                                     llvm::ArrayRef<NDArray> args) {
  for (auto [n, role] : llvm::enumerate(binding.roles)) {
    if (n >= args.size() || !hasValueRule(role, args[n].dtype()))
      continue;
    for (int64_t i = 0, e = args[n].numElements(); i < e; ++i) {
      double a = args[n].getDouble(i);
      StringRef rule = brokenValueRule(role, args[n].dtype(), a);
      if (!rule.empty())
        return makeError("argument '" + binding.names[n] + "': element " +
                         llvm::Twine(i) + " is " +
                         llvm::Twine(std::to_string(a)) + ": " + rule);
    }
  }
  return llvm::Error::success();
}

reference::Inputs attn::referenceInputs(const SpecBinding &binding,
                                        ArrayRef<NDArray> args) {
  reference::Inputs in;
  func::FuncOp func = binding.func;
  auto argFor = [&](Value v) -> const NDArray & {
    return args[cast<BlockArgument>(v).getArgNumber()];
  };
  (void)func;
  AttentionOp op = binding.op;
  in.query = argFor(op.getQuery());
  in.key = argFor(op.getKey());
  in.value = argFor(op.getValue());
  for (const OperandRoleInfo &info : operandRoles())
    if (info.optionalOperand())
      if (Value v = operandOf(op, info.role))
        in[info.role] = argFor(v);
  for (Value c : op.getCaptures())
    in.captures.push_back(argFor(c));
  return in;
}

llvm::Expected<reference::Outputs>
attn::referenceOutputs(const SpecBinding &binding, ArrayRef<NDArray> args) {
  if (!binding.multiBranch)
    return reference::evaluate(binding.op, referenceInputs(binding, args));
  auto results = reference::evaluateFunction(binding.func, args);
  if (!results)
    return results.takeError();
  reference::Outputs out;
  out.output = std::move((*results)[0]);
  if (results->size() > 1)
    out.lse = std::move((*results)[1]);
  return std::move(out);
}

double attn::toleranceFor(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F64 ? 1e-5 : 1e-2;
}

Comparison attn::compareArrays(const NDArray &actual, const NDArray &expected,
                               double tolerance) {
  Comparison c;
  c.tolerance = tolerance;
  if (actual.shape() != expected.shape()) {
    c.nonFinite = actual.numElements();
    return c;
  }
  double diff2 = 0, ref2 = 0;
  int64_t infMismatch = 0;
  for (int64_t i = 0, e = expected.numElements(); i < e; ++i) {
    double a = actual.getDouble(i), x = expected.getDouble(i);
    if (!std::isfinite(x)) {
      // NaN matches NaN (the reference propagates a NaN input to the rows
      // that see it); an infinity must match its sign.
      bool match = std::isnan(x) ? std::isnan(a) : a == x;
      if (!match)
        ++infMismatch;
      continue;
    }
    if (!std::isfinite(a)) {
      ++c.nonFinite;
      continue;
    }
    diff2 += (a - x) * (a - x);
    ref2 += x * x;
    c.maxAbsError = std::max(c.maxAbsError, std::abs(a - x));
  }
  c.nonFinite += infMismatch;
  c.relFrobeniusError = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
  c.passed = c.nonFinite == 0 && c.relFrobeniusError <= tolerance;
  return c;
}
