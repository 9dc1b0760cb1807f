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
#include "llvm/ADT/TypeSwitch.h"

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

LogicalResult WindowMaskAttr::verify(EmitErrorFn emitError, int64_t left,
                                     int64_t right) {
  if (left < 0 || right < 0)
    return emitError() << "#attn.window bounds must be non-negative, got left = "
                       << left << ", right = " << right;
  return success();
}

LogicalResult SinksMaskAttr::verify(EmitErrorFn emitError, int64_t count) {
  if (count < 0)
    return emitError() << "#attn.sinks count must be non-negative, got "
                       << count;
  return success();
}

LogicalResult StridedMaskAttr::verify(EmitErrorFn emitError, int64_t stride,
                                      int64_t block, int64_t, int64_t) {
  if (stride <= 0)
    return emitError() << "#attn.strided stride must be positive, got "
                       << stride;
  if (block <= 0)
    return emitError() << "#attn.strided block must be positive, got " << block;
  return success();
}

LogicalResult DilatedMaskAttr::verify(EmitErrorFn emitError, int64_t rate) {
  if (rate <= 0)
    return emitError() << "#attn.dilated rate must be positive, got " << rate;
  return success();
}

LogicalResult ChunkedMaskAttr::verify(EmitErrorFn emitError, int64_t size) {
  if (size <= 0)
    return emitError() << "#attn.chunked size must be positive, got " << size;
  return success();
}

LogicalResult PrefixLMMaskAttr::verify(EmitErrorFn emitError, int64_t prefix) {
  if (prefix < 0)
    return emitError() << "#attn.prefix_lm prefix must be non-negative, got "
                       << prefix;
  return success();
}

LogicalResult BlockSparseMaskAttr::verify(EmitErrorFn emitError,
                                          int64_t blockQ, int64_t blockKv) {
  if (blockQ <= 0 || blockKv <= 0)
    return emitError() << "#attn.block_sparse block sizes must be positive, "
                          "got block_q = "
                       << blockQ << ", block_kv = " << blockKv;
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
    int64_t d = dilation ? dilation[axis] : 1;
    if (d <= 0)
      return emitError() << "#attn.neighborhood dilation of axis " << axis
                         << " must be positive, got " << d;
    int64_t st = stride ? stride[axis] : 1;
    if (st < 1 || st > kernel[axis])
      return emitError() << "#attn.neighborhood stride of axis " << axis
                         << " must be in [1, kernel] = [1, " << kernel[axis]
                         << "], got " << st;
    if (extent > 0 && kernel[axis] * d > extent)
      return emitError() << "#attn.neighborhood kernel * dilation of axis "
                         << axis << " (" << kernel[axis] * d
                         << ") exceeds the grid extent " << extent;
  }
  if (numInferred > 1)
    return emitError()
           << "#attn.neighborhood grid may infer (-1) at most one extent";
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
                                        llvm::APFloat biasValue, bool l1) {
  double bias = biasValue.convertToDouble();
  if (kind == NormalizationKind::Softmax && l1)
    return emitError() << "#attn.normalize<softmax> is already l1-normalized; "
                          "'l1' is not allowed with it";
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
  if (parser.parseLess() || parser.parseKeyword(&keyword))
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
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc optLoc = parser.getCurrentLocation();
    StringRef option;
    if (parser.parseKeyword(&option))
      return {};
    if (option == "bias") {
      if (parser.parseEqual() || parser.parseFloat(bias))
        return {};
    } else if (option == "l1") {
      l1 = true;
    } else {
      parser.emitError(optLoc) << "unknown #attn.normalize option '" << option
                               << "'; expected 'bias = <float>' or 'l1'";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<NormalizationAttr>(loc, parser.getContext(), *kind,
                                              llvm::APFloat(bias), l1);
}

void NormalizationAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyNormalizationKind(getKind());
  if (!getBias().isZero()) {
    printer << ", bias = ";
    printer.printFloat(getBias());
  }
  if (getL1())
    printer << ", l1";
  printer << ">";
}
