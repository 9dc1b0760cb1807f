//===- AttnAttrs.cpp - attn dialect and attributes ------------------------===//
//
// The dialect class, attribute verifiers and the custom syntax of
// #attn.normalize.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/AttnDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace attn;

#include "attn/Dialect/Attn/AttnDialect.cpp.inc"
#include "attn/Dialect/Attn/AttnEnums.cpp.inc"
#include "attn/Dialect/Attn/AttnAttrInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/Attn/AttnAttrs.cpp.inc"

void AttnDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "attn/Dialect/Attn/AttnAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "attn/Dialect/Attn/AttnOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Mask verifiers
//===----------------------------------------------------------------------===//

using EmitErrorFn = function_ref<InFlightDiagnostic()>;

/// Every position, length and mask parameter is below 2^40 in magnitude
/// (no sequence is that long), so the lowerings' index arithmetic on them
/// (p - left, p + right, offsets, products of grid extents) cannot
/// overflow int64.
static constexpr int64_t kMaxMaskParameter = int64_t(1) << 40;

/// Fails unless `value` is in [lo, kMaxMaskParameter].
static LogicalResult checkParameter(EmitErrorFn emitError, StringRef attr,
                                    StringRef name, int64_t value,
                                    int64_t lo) {
  if (value >= lo && value <= kMaxMaskParameter)
    return success();
  InFlightDiagnostic diag = emitError();
  diag << "#attn." << attr << " " << name << " must be ";
  if (value < lo)
    diag << (lo == 0 ? "non-negative" : "positive");
  else
    diag << "at most 2^40 (" << kMaxMaskParameter << ")";
  return diag << ", got " << value;
}

LogicalResult WindowMaskAttr::verify(EmitErrorFn emitError, int64_t left,
                                     int64_t right) {
  if (left < 0 || right < 0)
    return emitError() << "#attn.window bounds must be non-negative, got left = "
                       << left << ", right = " << right;
  if (failed(checkParameter(emitError, "window", "left", left, 0)) ||
      failed(checkParameter(emitError, "window", "right", right, 0)))
    return failure();
  return success();
}

LogicalResult SinksMaskAttr::verify(EmitErrorFn emitError, int64_t count) {
  return checkParameter(emitError, "sinks", "count", count, 0);
}

LogicalResult StridedMaskAttr::verify(EmitErrorFn emitError, int64_t stride,
                                      int64_t block, int64_t offset,
                                      int64_t headStep) {
  if (failed(checkParameter(emitError, "strided", "stride", stride, 1)) ||
      failed(checkParameter(emitError, "strided", "block", block, 1)) ||
      failed(checkParameter(emitError, "strided", "offset magnitude",
                            offset == INT64_MIN ? INT64_MAX : std::abs(offset),
                            0)) ||
      failed(checkParameter(emitError, "strided", "head_step magnitude",
                            headStep == INT64_MIN ? INT64_MAX
                                                  : std::abs(headStep),
                            0)))
    return failure();
  return success();
}

LogicalResult DilatedMaskAttr::verify(EmitErrorFn emitError, int64_t rate) {
  return checkParameter(emitError, "dilated", "rate", rate, 1);
}

LogicalResult ChunkedMaskAttr::verify(EmitErrorFn emitError, int64_t size) {
  return checkParameter(emitError, "chunked", "size", size, 1);
}

LogicalResult PrefixLMMaskAttr::verify(EmitErrorFn emitError, int64_t prefix) {
  return checkParameter(emitError, "prefix_lm", "prefix", prefix, 0);
}

LogicalResult BlockSparseMaskAttr::verify(EmitErrorFn emitError,
                                          int64_t blockQ, int64_t blockKv) {
  if (blockQ <= 0 || blockKv <= 0)
    return emitError() << "#attn.block_sparse block sizes must be positive, "
                          "got block_q = "
                       << blockQ << ", block_kv = " << blockKv;
  if (failed(checkParameter(emitError, "block_sparse", "block_q", blockQ, 1)) ||
      failed(checkParameter(emitError, "block_sparse", "block_kv", blockKv, 1)))
    return failure();
  return success();
}

/// Fails unless the optional fraction `value` lies in [lo, 1] (`lo`
/// included when `loInclusive`).
static LogicalResult checkFraction(EmitErrorFn emitError, StringRef name,
                                   FloatAttr value, bool loInclusive) {
  if (!value)
    return success();
  double v = value.getValueAsDouble();
  if ((loInclusive ? v >= 0.0 : v > 0.0) && v <= 1.0)
    return success();
  return emitError() << "#attn.topk_blocks " << name << " must be in "
                     << (loInclusive ? "[0, 1]" : "(0, 1]") << ", got " << v;
}

FailureOr<SmallVector<PoolKind>> attn::parsePoolList(AsmParser &parser) {
  SmallVector<PoolKind> pools;
  auto parseOne = [&]() -> ParseResult {
    FailureOr<PoolKind> kind = FieldParser<PoolKind>::parse(parser);
    if (failed(kind))
      return failure();
    pools.push_back(*kind);
    return success();
  };
  // One kind, or a list (a concatenation); an empty list reaches the
  // verifier, which says why it is wrong.
  if (succeeded(parser.parseOptionalLSquare())) {
    if (succeeded(parser.parseOptionalRSquare()))
      return pools;
    if (parser.parseCommaSeparatedList(parseOne) || parser.parseRSquare())
      return failure();
    return pools;
  }
  if (parseOne())
    return failure();
  return pools;
}

void attn::printPoolList(AsmPrinter &printer, ArrayRef<PoolKind> pools) {
  if (pools.size() == 1) {
    printer << stringifyPoolKind(pools.front());
    return;
  }
  printer << '[';
  llvm::interleaveComma(pools, printer, [&](PoolKind kind) {
    printer << stringifyPoolKind(kind);
  });
  printer << ']';
}

/// The pools and the gate: a concatenated pooled key is wider than the
/// query, so only a learned projection can score it; a learned gate reads
/// the pooled queries of each query block, per query head.
static LogicalResult checkGate(EmitErrorFn emitError, ArrayRef<PoolKind> pool,
                               int64_t qBlock, bool headGroup, GateKind gate) {
  if (pool.empty())
    return emitError() << "#attn.topk_blocks pool must name at least one "
                          "pooling kind";
  // Given scores are per key head and block: a group's mean query has
  // nothing to average.
  if (gate == GateKind::Given && headGroup)
    return emitError() << "#attn.topk_blocks gate = given cannot be combined "
                          "with head_group (the scores are per key head)";
  if (gate != GateKind::Learned) {
    if (pool.size() > 1)
      return emitError() << "#attn.topk_blocks with " << pool.size()
                         << " concatenated pools needs gate = learned (the "
                            "pooled key is "
                         << pool.size() << " x D wide)";
    return success();
  }
  if (qBlock == 0)
    return emitError() << "#attn.topk_blocks gate = learned needs q_block "
                          "(the gate projects pooled queries; q_block = 1 is "
                          "per token)";
  if (headGroup)
    return emitError() << "#attn.topk_blocks gate = learned cannot be "
                          "combined with head_group";
  return success();
}

/// Per-head budgets: one cap per key head, each in [0, k] (k is the
/// largest). A proxy group spans several key heads, so it has no budget of
/// its own.
static LogicalResult checkBudgets(EmitErrorFn emitError, int64_t k,
                                  int64_t proxyHeads,
                                  DenseI64ArrayAttr budgets) {
  if (!budgets)
    return success();
  if (proxyHeads > 0)
    return emitError() << "#attn.topk_blocks budgets are per key head: they "
                          "cannot be combined with proxy_heads";
  if (budgets.empty())
    return emitError() << "#attn.topk_blocks budgets needs one entry per key "
                          "head, got none";
  for (auto [hk, cap] : llvm::enumerate(budgets.asArrayRef()))
    if (cap < 0 || cap > k)
      return emitError() << "#attn.topk_blocks budget of key head " << hk
                         << " must lie in [0, k = " << k << "], got " << cap;
  return success();
}

LogicalResult TopKBlocksAttr::verify(EmitErrorFn emitError, int64_t block,
                                     int64_t k, ArrayRef<PoolKind> pool,
                                     bool keepCurrent, int64_t qBlock,
                                     FloatAttr threshold, FloatAttr mass,
                                     int64_t sinks, int64_t local,
                                     bool headGroup, int64_t proxyHeads,
                                     GateKind gate, bool, bool selectQueries,
                                     bool complement,
                                     DenseI64ArrayAttr budgets, int64_t skip,
                                     FloatAttr minScore) {
  if (failed(checkGate(emitError, pool, qBlock, headGroup, gate)))
    return failure();
  // A query is kept when its own block is selected: a forced current
  // block would keep every row, and a query block has no own key block.
  if (selectQueries && keepCurrent)
    return emitError() << "#attn.topk_blocks select_queries needs "
                          "keep_current = false (the current block is "
                          "always kept, so every query would be)";
  if (selectQueries && qBlock > 0)
    return emitError() << "#attn.topk_blocks select_queries is per token: "
                          "q_block must be 0";
  // Both rewrite a row's selected set; their composition has no method
  // behind it yet.
  if (selectQueries && complement)
    return emitError() << "#attn.topk_blocks select_queries and complement "
                          "cannot be combined";
  if (failed(checkParameter(emitError, "topk_blocks", "block", block, 1)) ||
      failed(checkParameter(emitError, "topk_blocks", "k", k, 1)) ||
      failed(checkParameter(emitError, "topk_blocks", "q_block", qBlock, 0)) ||
      failed(checkParameter(emitError, "topk_blocks", "sinks", sinks, 0)) ||
      failed(checkParameter(emitError, "topk_blocks", "local", local, 0)) ||
      failed(checkParameter(emitError, "topk_blocks", "proxy_heads",
                            proxyHeads, 0)))
    return failure();
  // Proxy heads pool the heads of a group: without a group there is none.
  if (proxyHeads > 0 && !headGroup)
    return emitError() << "#attn.topk_blocks proxy_heads needs head_group";
  // A group shares the pooled query of each query block: per token there
  // is none.
  if (headGroup && qBlock == 0)
    return emitError() << "#attn.topk_blocks head_group needs q_block";
  // One rule: a threshold and a cumulative mass would each decide alone.
  if (threshold && mass)
    return emitError() << "#attn.topk_blocks takes threshold or mass, not both";
  if (failed(checkFraction(emitError, "threshold", threshold, true)) ||
      failed(checkFraction(emitError, "mass", mass, false)))
    return failure();
  // A rank band [skip, k): skip below k, or the band is empty everywhere.
  if (failed(checkParameter(emitError, "topk_blocks", "skip", skip, 0)))
    return failure();
  if (skip >= k)
    return emitError() << "#attn.topk_blocks skip (" << skip
                       << ") must be below k (" << k
                       << "): the band [skip, k) would be empty";
  // A floor on the gate: an infinite or NaN one keeps all or nothing.
  if (minScore && !std::isfinite(minScore.getValueAsDouble()))
    return emitError() << "#attn.topk_blocks min_score must be finite, got "
                       << minScore.getValueAsDouble();
  return checkBudgets(emitError, k, proxyHeads, budgets);
}

LogicalResult QuantizedQKAttr::verify(EmitErrorFn emitError,
                                      QuantScheme scheme, int64_t qBlock,
                                      int64_t kBlock, bool smoothK,
                                      PVPrecision pv, bool smoothQ,
                                      bool keysOnly, int64_t salientBits) {
  if (failed(checkParameter(emitError, "quantized_qk", "q_block", qBlock, 1)) ||
      failed(checkParameter(emitError, "quantized_qk", "k_block", kBlock, 1)))
    return failure();
  // Signs have no mean to subtract: smoothing is an integer-scheme option.
  if (smoothK && scheme == QuantScheme::Sign)
    return emitError()
           << "#attn.quantized_qk: smooth_k needs scheme = int8, int4 or "
              "fp8_*";
  if (smoothQ && (scheme == QuantScheme::Sign || isFP8Scheme(scheme)))
    return emitError()
           << "#attn.quantized_qk: smooth_q needs scheme = int8 or int4";
  // Keys only: the query is neither quantized nor smoothed.
  if (keysOnly && scheme == QuantScheme::Sign)
    return emitError()
           << "#attn.quantized_qk: keys_only needs scheme = int8, int4 or "
              "fp8_* (a "
              "float query against signs has no declared meaning)";
  if (keysOnly && smoothQ)
    return emitError() << "#attn.quantized_qk: keys_only keeps the query "
                          "float, so smooth_q has nothing to smooth";
  if (keysOnly && qBlock != 1)
    return emitError() << "#attn.quantized_qk: keys_only keeps the query "
                          "float, so q_block (" << qBlock
                       << ") has no meaning";
  // Salient blocks are quantized at more bits than int4's, at most int8's
  // (so the i8 lanes and the i32 bound of int8 hold).
  if (salientBits != 0 && scheme != QuantScheme::Int4)
    return emitError() << "#attn.quantized_qk: salient_bits needs scheme = "
                          "int4 (salient key blocks at more bits than the "
                          "others), got scheme = "
                       << stringifyQuantScheme(scheme);
  if (salientBits != 0 && (salientBits < 5 || salientBits > 8))
    return emitError() << "#attn.quantized_qk: salient_bits must lie in 5..8 "
                          "(more than int4's 4 bits, at most int8's), got "
                       << salientBits;
  return success();
}

LogicalResult QuantizedVAttr::verify(EmitErrorFn emitError,
                                     QuantScheme scheme,
                                     VScaleGranularity per, int64_t block) {
  if (failed(checkParameter(emitError, "quantized_v", "block", block, 1)))
    return failure();
  // A value cache is i8 or FP8: i4 and signs are not declared for V.
  if (scheme != QuantScheme::Int8 && !isFP8Scheme(scheme))
    return emitError() << "#attn.quantized_v: scheme must be int8, fp8_e4m3 "
                          "or fp8_e5m2 (a pre-quantized i8 or FP8 value), "
                          "got "
                       << stringifyQuantScheme(scheme);
  // Channel scales are per value channel over all tokens: no token blocks.
  if (per == VScaleGranularity::Channel && block != 1)
    return emitError() << "#attn.quantized_v: block (" << block
                       << ") needs per = token (channel scales cover all "
                          "tokens)";
  return success();
}

LogicalResult NeighborhoodMaskAttr::verify(EmitErrorFn emitError,
                                           DenseI64ArrayAttr grid,
                                           DenseI64ArrayAttr kernel,
                                           DenseI64ArrayAttr dilation,
                                           DenseBoolArrayAttr causal,
                                           DenseI64ArrayAttr stride) {
  int64_t rank = grid.size();
  if (rank < 1 || rank > 3)
    return emitError() << "#attn.neighborhood grid must have 1 to 3 axes, got "
                       << rank;
  if (kernel.size() != rank)
    return emitError() << "#attn.neighborhood kernel has " << kernel.size()
                       << " entries but the grid has " << rank << " axes";
  if (dilation && dilation.size() != rank)
    return emitError() << "#attn.neighborhood dilation has " << dilation.size()
                       << " entries but the grid has " << rank << " axes";
  if (causal && causal.size() != rank)
    return emitError() << "#attn.neighborhood causal has " << causal.size()
                       << " entries but the grid has " << rank << " axes";
  if (stride && stride.size() != rank)
    return emitError() << "#attn.neighborhood stride has " << stride.size()
                       << " entries but the grid has " << rank << " axes";
  int numInferred = 0;
  for (int64_t axis = 0; axis < rank; ++axis) {
    int64_t extent = grid[axis];
    if (extent == -1) {
      ++numInferred;
    } else if (extent <= 0) {
      return emitError() << "#attn.neighborhood grid extent of axis " << axis
                         << " must be positive or -1 (inferred), got "
                         << extent;
    }
    if (kernel[axis] <= 0)
      return emitError() << "#attn.neighborhood kernel of axis " << axis
                         << " must be positive, got " << kernel[axis];
    if (extent > kMaxMaskParameter || kernel[axis] > kMaxMaskParameter ||
        (dilation && dilation[axis] > kMaxMaskParameter))
      return emitError() << "#attn.neighborhood grid, kernel and dilation of "
                            "axis "
                         << axis << " must be at most 2^40 ("
                         << kMaxMaskParameter << ")";
    int64_t d = dilation ? dilation[axis] : 1;
    if (d <= 0)
      return emitError() << "#attn.neighborhood dilation of axis " << axis
                         << " must be positive, got " << d;
    int64_t st = stride ? stride[axis] : 1;
    if (st < 1 || st > kernel[axis])
      return emitError() << "#attn.neighborhood stride of axis " << axis
                         << " must be in [1, kernel] = [1, " << kernel[axis]
                         << "], got " << st;
    // Both at most 2^40: the span may exceed int64, which is too large too.
    int64_t span;
    bool spanOverflows = __builtin_mul_overflow(kernel[axis], d, &span);
    if (spanOverflows || span > kMaxMaskParameter)
      return emitError() << "#attn.neighborhood kernel * dilation of axis "
                         << axis << " must be at most 2^40";
    if (extent > 0 && span > extent)
      return emitError() << "#attn.neighborhood kernel * dilation of axis "
                         << axis << " (" << span
                         << ") exceeds the grid extent " << extent;
  }
  if (numInferred > 1)
    return emitError()
           << "#attn.neighborhood grid may infer (-1) at most one extent";
  int64_t tokens = 1;
  for (int64_t extent : grid.asArrayRef())
    if (extent > 0 && (__builtin_mul_overflow(tokens, extent, &tokens) ||
                       tokens > kMaxMaskParameter))
      return emitError() << "#attn.neighborhood grid must hold at most 2^40 "
                            "tokens";
  return success();
}

template <typename AttrT>
static LogicalResult verifyMaskList(EmitErrorFn emitError, StringRef name,
                                    ArrayRef<AttrT> masks) {
  if (masks.empty())
    return emitError() << "#attn." << name << " needs at least one mask";
  return success();
}

LogicalResult AndMaskAttr::verify(EmitErrorFn emitError,
                                  ArrayRef<MaskAttrInterface> masks) {
  return verifyMaskList(emitError, "and", masks);
}

LogicalResult OrMaskAttr::verify(EmitErrorFn emitError,
                                 ArrayRef<MaskAttrInterface> masks) {
  return verifyMaskList(emitError, "or", masks);
}

LogicalResult PerHeadMaskAttr::verify(EmitErrorFn emitError, ArrayAttr masks,
                                      DenseI64ArrayAttr heads) {
  if (masks.empty())
    return emitError() << "#attn.per_head needs at least one mask";
  for (auto [i, m] : llvm::enumerate(masks))
    if (!isa<MaskAttrInterface>(m))
      return emitError() << "#attn.per_head entry " << i
                         << " is not a mask attribute: " << m;
  if (heads) {
    if (heads.empty())
      return emitError() << "#attn.per_head heads must not be empty";
    for (auto [h, index] : llvm::enumerate(heads.asArrayRef()))
      if (index < 0 || index >= static_cast<int64_t>(masks.size()))
        return emitError() << "#attn.per_head head " << h << " selects mask "
                           << index << " but only " << masks.size()
                           << " masks are given";
  }
  return success();
}

static bool anyUsesSegmentIds(ArrayRef<MaskAttrInterface> masks) {
  return llvm::any_of(masks,
                      [](MaskAttrInterface m) { return m.usesSegmentIds(); });
}
static bool anyUsesBlockLayout(ArrayRef<MaskAttrInterface> masks) {
  return llvm::any_of(masks,
                      [](MaskAttrInterface m) { return m.usesBlockLayout(); });
}

bool AndMaskAttr::usesSegmentIds() const {
  return anyUsesSegmentIds(getMasks());
}
bool AndMaskAttr::usesBlockLayout() const {
  return anyUsesBlockLayout(getMasks());
}
bool OrMaskAttr::usesSegmentIds() const {
  return anyUsesSegmentIds(getMasks());
}
bool OrMaskAttr::usesBlockLayout() const {
  return anyUsesBlockLayout(getMasks());
}
bool NotMaskAttr::usesSegmentIds() const {
  return getMask().usesSegmentIds();
}
bool NotMaskAttr::usesBlockLayout() const {
  return getMask().usesBlockLayout();
}
bool PerHeadMaskAttr::usesSegmentIds() const {
  return llvm::any_of(getMasks(), [](Attribute m) {
    return cast<MaskAttrInterface>(m).usesSegmentIds();
  });
}
bool PerHeadMaskAttr::usesBlockLayout() const {
  return llvm::any_of(getMasks(), [](Attribute m) {
    return cast<MaskAttrInterface>(m).usesBlockLayout();
  });
}

//===----------------------------------------------------------------------===//
// Score modifications and normalization
//===----------------------------------------------------------------------===//

LogicalResult SoftcapAttr::verify(EmitErrorFn emitError, llvm::APFloat capValue) {
  double cap = capValue.convertToDouble();
  if (!std::isfinite(cap) || cap <= 0.0)
    return emitError() << "#attn.softcap cap must be positive and finite, got "
                       << cap;
  return success();
}

// #attn.softcap<cap>
//===----------------------------------------------------------------------===//
// The dialect's attribute parser: nesting depth
//===----------------------------------------------------------------------===//

/// Attributes nested deeper than this are refused: each level costs a few
/// KiB of the parser's stack, and thousands of levels overflowed it.
static constexpr int kMaxAttributeNesting = 128;

/// Attribute nesting of the parse running on this thread.
static thread_local int attributeNesting = 0;

/// Whether a nested attn attribute already reported why it failed: the
/// enclosing and/or/not then fail without adding a message per level.
static thread_local bool nestedFailureReported = false;

Attribute AttnDialect::parseAttribute(DialectAsmParser &parser,
                                      Type type) const {
  SMLoc loc = parser.getCurrentLocation();
  if (attributeNesting == 0)
    nestedFailureReported = false;
  if (attributeNesting >= kMaxAttributeNesting) {
    if (!nestedFailureReported)
      parser.emitError(loc) << "attn attributes nested deeper than "
                            << kMaxAttributeNesting << " levels";
    nestedFailureReported = true;
    return {};
  }
  ++attributeNesting;
  llvm::scope_exit leave([] { --attributeNesting; });
  StringRef mnemonic;
  Attribute attr;
  OptionalParseResult parsed =
      generatedAttributeParser(parser, &mnemonic, type, attr);
  if (!parsed.has_value()) {
    parser.emitError(loc) << "unknown attribute `" << mnemonic
                          << "` in dialect `attn`";
    nestedFailureReported = true;
    return {};
  }
  if (!attr)
    nestedFailureReported = true;
  return attr;
}

void AttnDialect::printAttribute(Attribute attr,
                                 DialectAsmPrinter &printer) const {
  (void)generatedAttributePrinter(attr, printer);
}

//===----------------------------------------------------------------------===//
// Compositions: `#attn.and<[m, ...]>`, `#attn.or<[m, ...]>`, `#attn.not<m>`
//===----------------------------------------------------------------------===//

/// Parses one mask operand of a composition. An operand that is an attn
/// attribute and failed has reported why; only other failures get a
/// message here.
static ParseResult parseMaskOperand(AsmParser &parser, StringRef what,
                                    MaskAttrInterface &mask) {
  SMLoc loc = parser.getCurrentLocation();
  Attribute attr;
  nestedFailureReported = false;
  if (failed(parser.parseAttribute(attr))) {
    if (!nestedFailureReported)
      parser.emitError(loc) << what << " expects masks (#attn.causal, ...)";
    nestedFailureReported = true;
    return failure();
  }
  mask = dyn_cast<MaskAttrInterface>(attr);
  if (!mask) {
    parser.emitError(loc) << what << " expects masks, got " << attr;
    nestedFailureReported = true;
    return failure();
  }
  return success();
}

static ParseResult parseMaskList(AsmParser &parser, StringRef what,
                                 SmallVectorImpl<MaskAttrInterface> &masks) {
  if (parser.parseLess())
    return failure();
  auto parseOne = [&]() -> ParseResult {
    return parseMaskOperand(parser, what, masks.emplace_back());
  };
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, parseOne))
    return failure();
  return parser.parseGreater();
}

static void printMaskList(AsmPrinter &printer,
                          ArrayRef<MaskAttrInterface> masks) {
  printer << "<[";
  llvm::interleaveComma(masks, printer,
                        [&](MaskAttrInterface m) { printer.printAttribute(m); });
  printer << "]>";
}

/// `#attn.and` and `#attn.or`: a verified list of masks.
template <typename CompositionAttr>
static Attribute parseComposition(AsmParser &parser, StringRef what) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<MaskAttrInterface> masks;
  if (failed(parseMaskList(parser, what, masks)))
    return {};
  return parser.getChecked<CompositionAttr>(loc, parser.getContext(), masks);
}

Attribute AndMaskAttr::parse(AsmParser &parser, Type) {
  return parseComposition<AndMaskAttr>(parser, "#attn.and");
}

void AndMaskAttr::print(AsmPrinter &printer) const {
  printMaskList(printer, getMasks());
}

Attribute OrMaskAttr::parse(AsmParser &parser, Type) {
  return parseComposition<OrMaskAttr>(parser, "#attn.or");
}

void OrMaskAttr::print(AsmPrinter &printer) const {
  printMaskList(printer, getMasks());
}

Attribute NotMaskAttr::parse(AsmParser &parser, Type) {
  MaskAttrInterface mask;
  if (parser.parseLess() || parseMaskOperand(parser, "#attn.not", mask) ||
      parser.parseGreater())
    return {};
  return NotMaskAttr::get(parser.getContext(), mask);
}

void NotMaskAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printAttribute(getMask());
  printer << ">";
}

//===----------------------------------------------------------------------===//
// One-parameter masks: `<N>` or `<name = N>`
//===----------------------------------------------------------------------===//

/// Parses `< N >` or `< keyword = N >`: every attribute takes the keyword
/// form, the one-parameter ones the short form too.
static ParseResult parseOneInteger(AsmParser &parser, StringRef keyword,
                                   int64_t &value) {
  if (parser.parseLess())
    return failure();
  if (succeeded(parser.parseOptionalKeyword(keyword))) {
    if (parser.parseEqual())
      return failure();
  }
  SMLoc loc = parser.getCurrentLocation();
  OptionalParseResult parsed = parser.parseOptionalInteger(value);
  if (!parsed.has_value())
    return parser.emitError(loc, "expected an integer or '")
           << keyword << " = <integer>'";
  if (failed(*parsed))
    return failure();
  return parser.parseGreater();
}

#define ATTN_ONE_INTEGER_ATTR(Class, keyword)                                  \
  Attribute Class::parse(AsmParser &parser, Type) {                            \
    SMLoc loc = parser.getCurrentLocation();                                   \
    int64_t value;                                                             \
    if (failed(parseOneInteger(parser, keyword, value)))                      \
      return {};                                                               \
    return parser.getChecked<Class>(loc, parser.getContext(), value);          \
  }
ATTN_ONE_INTEGER_ATTR(SinksMaskAttr, "count")
ATTN_ONE_INTEGER_ATTR(DilatedMaskAttr, "rate")
ATTN_ONE_INTEGER_ATTR(ChunkedMaskAttr, "size")
ATTN_ONE_INTEGER_ATTR(PrefixLMMaskAttr, "prefix")
#undef ATTN_ONE_INTEGER_ATTR

void SinksMaskAttr::print(AsmPrinter &p) const { p << "<" << getCount() << ">"; }
void DilatedMaskAttr::print(AsmPrinter &p) const { p << "<" << getRate() << ">"; }
void ChunkedMaskAttr::print(AsmPrinter &p) const { p << "<" << getSize() << ">"; }
void PrefixLMMaskAttr::print(AsmPrinter &p) const {
  p << "<" << getPrefix() << ">";
}

Attribute SoftcapAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  double cap;
  // An integer cap (`#attn.softcap<50>`) is as natural as `50.0`.
  Attribute value;
  if (parser.parseLess())
    return {};
  if (succeeded(parser.parseOptionalKeyword("cap")) && parser.parseEqual())
    return {};
  loc = parser.getCurrentLocation();
  if (parser.parseAttribute(value))
    return {};
  if (auto f = dyn_cast<FloatAttr>(value)) {
    cap = f.getValueAsDouble();
  } else if (auto i = dyn_cast<IntegerAttr>(value)) {
    cap = static_cast<double>(i.getValue().getSExtValue());
  } else {
    parser.emitError(loc, "#attn.softcap expects a number, got ") << value;
    return {};
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<SoftcapAttr>(loc, parser.getContext(),
                                        llvm::APFloat(cap));
}

void SoftcapAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printFloat(getCap());
  printer << ">";
}

LogicalResult NormalizationAttr::verify(EmitErrorFn emitError,
                                        NormalizationKind kind,
                                        llvm::APFloat biasValue, bool l1,
                                        AffineNormKind affine) {
  double bias = biasValue.convertToDouble();
  if (kind == NormalizationKind::Softmax && l1)
    return emitError() << "#attn.normalize<softmax> is already l1-normalized; "
                          "'l1' is not allowed with it";
  if (affine != AffineNormKind::None) {
    if (kind == NormalizationKind::Softmax)
      return emitError() << "#attn.normalize '"
                         << stringifyAffineNormKind(affine)
                         << "' corrects pointwise weights; softmax weights "
                            "are already normalized";
    if (l1)
      return emitError() << "#attn.normalize '"
                         << stringifyAffineNormKind(affine)
                         << "' replaces 'l1'; they are not allowed together";
  }
  if (kind != NormalizationKind::Sigmoid && bias != 0.0)
    return emitError() << "#attn.normalize bias is only defined for sigmoid, "
                          "not for "
                       << stringifyNormalizationKind(kind);
  if (!std::isfinite(bias))
    return emitError() << "#attn.normalize bias must be finite";
  return success();
}

// #attn.normalize<kind (, bias = <float>)? (, l1)?>
Attribute NormalizationAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseLess())
    return {};
  // `kind = sigmoid` as well as `sigmoid`.
  if (succeeded(parser.parseOptionalKeyword("kind")) && parser.parseEqual())
    return {};
  loc = parser.getCurrentLocation();
  if (parser.parseKeyword(&keyword))
    return {};
  std::optional<NormalizationKind> kind = symbolizeNormalizationKind(keyword);
  if (!kind) {
    parser.emitError(loc) << "unknown normalization '" << keyword
                          << "'; expected softmax, sigmoid, softplus, relu or "
                             "identity";
    return {};
  }
  double bias = 0.0;
  bool l1 = false;
  AffineNormKind affine = AffineNormKind::None;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc optLoc = parser.getCurrentLocation();
    StringRef option;
    if (parser.parseKeyword(&option))
      return {};
    std::optional<AffineNormKind> correction = symbolizeAffineNormKind(option);
    if (option == "bias") {
      if (parser.parseEqual() || parser.parseFloat(bias))
        return {};
    } else if (option == "l1") {
      l1 = true;
    } else if (correction && *correction != AffineNormKind::None) {
      if (affine != AffineNormKind::None) {
        parser.emitError(optLoc) << "#attn.normalize takes one affine "
                                    "correction (subtractive or mala)";
        return {};
      }
      affine = *correction;
    } else {
      parser.emitError(optLoc) << "unknown #attn.normalize option '" << option
                               << "'; expected 'bias = <float>', 'l1', "
                                  "'subtractive' or 'mala'";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<NormalizationAttr>(loc, parser.getContext(), *kind,
                                              llvm::APFloat(bias), l1, affine);
}

void NormalizationAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyNormalizationKind(getKind());
  if (!getBias().isZero()) {
    printer << ", bias = ";
    printer.printFloat(getBias());
  }
  if (getL1())
    printer << ", l1";
  if (hasAffine())
    printer << ", " << stringifyAffineNormKind(getAffine());
  printer << ">";
}

LogicalResult EpilogueAttr::verify(EmitErrorFn emitError, EpilogueKind kind,
                                   llvm::APFloat epsValue) {
  double eps = epsValue.convertToDouble();
  if (!(eps > 0.0) || !std::isfinite(eps))
    return emitError() << "#attn.epilogue<" << stringifyEpilogueKind(kind)
                       << "> eps must be positive and finite, got " << eps;
  return success();
}

// #attn.epilogue<kind (, eps = <float>)?>
Attribute EpilogueAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseLess())
    return {};
  SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&keyword))
    return {};
  std::optional<EpilogueKind> kind = symbolizeEpilogueKind(keyword);
  if (!kind) {
    parser.emitError(kindLoc) << "unknown epilogue '" << keyword
                              << "'; expected rms_norm";
    return {};
  }
  double eps = 1.0e-6;
  if (succeeded(parser.parseOptionalComma())) {
    SMLoc optLoc = parser.getCurrentLocation();
    StringRef option;
    if (parser.parseKeyword(&option))
      return {};
    if (option != "eps") {
      parser.emitError(optLoc) << "unknown #attn.epilogue option '" << option
                               << "'; expected 'eps = <float>'";
      return {};
    }
    if (parser.parseEqual() || parser.parseFloat(eps))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<EpilogueAttr>(loc, parser.getContext(), *kind,
                                         llvm::APFloat(eps));
}

void EpilogueAttr::print(AsmPrinter &printer) const {
  // The shortest scientific form that reads back as the same double
  // (`1.0e-06`, not `9.9999999999999995E-7`).
  double eps = getEpsValue();
  char text[64];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof(text), "%.*e", digits, eps);
    if (std::strtod(text, nullptr) == eps)
      break;
  }
  printer << "<" << stringifyEpilogueKind(getKind()) << ", eps = " << text
          << ">";
}

// #attn.feature_map<kind (, keys = kind)?>
static std::optional<FeatureMapKind> parseFeatureMapKind(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return std::nullopt;
  std::optional<FeatureMapKind> kind = symbolizeFeatureMapKind(keyword);
  if (!kind)
    parser.emitError(loc) << "unknown feature map '" << keyword
                          << "'; expected elu_plus_one, relu, sigmoid, exp, "
                             "silu, hedgehog, taylor2, identity, softmax, "
                             "sequence_softmax, sequence_scale, "
                             "query_weighted or flow";
  return kind;
}

Attribute FeatureMapAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  std::optional<FeatureMapKind> kind = parseFeatureMapKind(parser);
  if (!kind)
    return {};
  std::optional<FeatureMapKind> keys = kind;
  if (succeeded(parser.parseOptionalComma())) {
    SMLoc optLoc = parser.getCurrentLocation();
    if (failed(parser.parseOptionalKeyword("keys"))) {
      parser.emitError(optLoc)
          << "expected 'keys = <feature map>' after the query map";
      return {};
    }
    if (parser.parseEqual() || !(keys = parseFeatureMapKind(parser)))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<FeatureMapAttr>(loc, parser.getContext(), *kind,
                                           *keys);
}

void FeatureMapAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyFeatureMapKind(getKind());
  if (getKeys() != getKind())
    printer << ", keys = " << stringifyFeatureMapKind(getKeys());
  printer << ">";
}

LogicalResult
FeatureMapAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       FeatureMapKind kind, FeatureMapKind keys) {
  if (isSequenceKind(kind))
    return emitError() << "#attn.feature_map<" << stringifyFeatureMapKind(kind)
                       << "> normalizes over the key sequence: it is a key "
                          "map only (#attn.feature_map<identity, keys = "
                       << stringifyFeatureMapKind(kind) << ">)";
  if (isCrossKind(kind))
    return emitError() << "#attn.feature_map<" << stringifyFeatureMapKind(kind)
                       << "> weights the keys from the queries: it is a key "
                          "map only (#attn.feature_map<elu_plus_one, keys = "
                       << stringifyFeatureMapKind(kind) << ">)";
  if (kind == keys)
    return success();
  // The cross key maps weight phi(k) with phi the query map: an
  // elementwise one (the prologue maps every element of Q and K).
  if (isCrossKind(keys) && !isElementwiseKind(kind))
    return emitError() << "keys = " << stringifyFeatureMapKind(keys)
                       << " maps the keys with the query map, which must be "
                          "elementwise (elu_plus_one, relu, sigmoid, exp, "
                          "silu, identity), got "
                       << stringifyFeatureMapKind(kind);
  // Separate maps must give the same feature count: the row maps that
  // change it (hedgehog, taylor2) map queries and keys alike.
  for (FeatureMapKind k : {kind, keys})
    if (k == FeatureMapKind::Hedgehog || k == FeatureMapKind::Taylor2)
      return emitError() << "#attn.feature_map<" << stringifyFeatureMapKind(k)
                         << "> changes the feature dimension and cannot be "
                            "combined with another map (keys = "
                         << stringifyFeatureMapKind(keys) << ")";
  return success();
}
