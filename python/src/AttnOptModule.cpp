//===- AttnOptModule.cpp - nanobind extension attn_opt._core --------------===//
//
// The thin C++ layer of the `attn_opt` Python package. Every entry point
// takes the spec as text (plus the file name used in diagnostics and the
// entry function) and NumPy arrays; the Python layer (attn_opt/_api.py)
// validates arguments and allocates results. Functions:
//
//   bind(text, filename, entry) -> dict         parse, verify, bind
//   compile(text, filename, entry, arg_types, result_dtypes, lowering,
//           tile_q, tile_kv, threads, vector_width, linear_chunk,
//           portable_tiles)
//           -> Kernel                           through a KernelCache; with
//                                               lowering "tile_program",
//                                               extents of -1 stay dynamic
//   check_tile_program_options(tile_q, tile_kv, split_kv, linear_chunk)
//           -> str                              why they are invalid ("": valid)
//   check_types(text, filename, entry, arg_types)
//                                               the verifier on these shapes
//   Kernel.run(args, results)                   the GIL is released
//   reference(text, filename, entry, arg_dtypes, args, out, lse)
//   block_map(text, filename, entry, head, num_heads, nq, nk, batch,
//             tile_q, tile_kv, exact) -> tuple
//   ptx(text, filename, entry, arg_types, chip, features, opt_level) -> str
//                                               only with ATTN_PYTHON_HAVE_GPU
//
// MLIR diagnostics become attn_opt.errors.SpecError (with file, line,
// column and message of every diagnostic), values the reference cannot
// evaluate its subclass ReferenceEvaluationError; compilation failures
// become attn_opt.errors.CompileError.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/TileProgramLimits.h"
#include "attn/Analysis/BlockClassification.h"
#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/JIT.h"
#include "attn/Reference/Reference.h"
#include "attn/Runner/Runner.h"
#include "attn/Runner/SpecSource.h"
#include "attn/Support/SourceNesting.h"
#include "attn/Support/NDArray.h"
#ifdef ATTN_PYTHON_HAVE_GPU
#include "attn/Target/PTX.h"
#endif

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace nb = nanobind;
using namespace mlir;

namespace {

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

struct DiagRecord {
  std::string severity, message, file;
  int64_t line = 0, col = 0;
  std::vector<DiagRecord> notes;
};

/// MLIR diagnostics that made a spec invalid; becomes SpecError.
struct SpecFailure : std::exception {
  std::vector<DiagRecord> diagnostics;
  std::string summary;
  SpecFailure(std::vector<DiagRecord> d, std::string fallback)
      : diagnostics(std::move(d)), summary(std::move(fallback)) {}
  const char *what() const noexcept override { return summary.c_str(); }
};

/// Values the reference cannot evaluate the spec on; becomes
/// ReferenceEvaluationError, a SpecError that is also the RuntimeError
/// reference() raised for these before.
struct ReferenceFailure : SpecFailure {
  using SpecFailure::SpecFailure;
};

/// Failure after a valid spec (lowering, LLVM); becomes CompileError.
struct CompileFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A Python-level argument error; becomes ValueError / TypeError.
struct ArgumentError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};
struct ArgumentTypeError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

static void decodeLocation(Location loc, DiagRecord &r) {
  if (auto flc = loc->findInstanceOf<FileLineColLoc>()) {
    r.file = flc.getFilename().str();
    r.line = flc.getLine();
    r.col = flc.getColumn();
  }
}

static std::string severityName(DiagnosticSeverity s) {
  switch (s) {
  case DiagnosticSeverity::Error: return "error";
  case DiagnosticSeverity::Warning: return "warning";
  case DiagnosticSeverity::Note: return "note";
  case DiagnosticSeverity::Remark: return "remark";
  }
  return "error";
}

static DiagRecord toRecord(Diagnostic &diag) {
  DiagRecord r;
  r.severity = severityName(diag.getSeverity());
  r.message = diag.str();
  decodeLocation(diag.getLocation(), r);
  for (Diagnostic &note : diag.getNotes())
    r.notes.push_back(toRecord(note));
  return r;
}

/// Collects every diagnostic of a context while alive.
class DiagCollector {
public:
  explicit DiagCollector(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &diag) {
          records.push_back(toRecord(diag));
          return success();
        }) {}
  [[noreturn]] void fail(const std::string &fallback) {
    throw SpecFailure(records, fallback);
  }
  std::vector<DiagRecord> records;

private:
  ScopedDiagnosticHandler handler;
};

nb::object recordToPython(const DiagRecord &r) {
  nb::dict d;
  d["severity"] = r.severity;
  d["message"] = r.message;
  d["file"] = r.file;
  d["line"] = r.line;
  d["col"] = r.col;
  nb::list notes;
  for (const DiagRecord &n : r.notes)
    notes.append(recordToPython(n));
  d["notes"] = notes;
  return d;
}

/// Raises `attn_opt.errors.<cls>(*args)`, or `fallback` when the package
/// module cannot be imported.
void raisePython(const char *cls, nb::object arg1, nb::object arg2,
                 PyObject *fallback, const char *fallbackText) {
  try {
    nb::object type = nb::module_::import_("attn_opt.errors").attr(cls);
    nb::object exc = type(arg1, arg2);
    PyErr_SetObject(type.ptr(), exc.ptr());
  } catch (...) {
    PyErr_Clear();
    PyErr_SetString(fallback, fallbackText);
  }
}

//===----------------------------------------------------------------------===//
// Contexts, parsing, binding
//===----------------------------------------------------------------------===//

/// A parsed, verified and bound spec with its own context. Members are
/// destroyed in reverse order: the binding and module before the context.
struct Parsed {
  std::unique_ptr<MLIRContext> context;
  std::unique_ptr<DiagCollector> diags;
  OwningOpRef<ModuleOp> module;
  attn::SpecBinding binding;
};

static std::unique_ptr<MLIRContext> makeContext() {
  DialectRegistry registry;
  registry.insert<attn::AttnDialect, func::FuncDialect, arith::ArithDialect,
                  math::MathDialect, tensor::TensorDialect>();
  auto context = std::make_unique<MLIRContext>(
      registry, MLIRContext::Threading::DISABLED);
  context->loadAllAvailableDialects();
  // Diagnostics point into the spec text; the generic form of the op adds
  // nothing for a Python user.
  context->printOpOnDiagnostic(false);
  return context;
}

static std::unique_ptr<Parsed> parseAndBind(const std::string &text,
                                            const std::string &filename,
                                            const std::string &entry) {
  auto p = std::make_unique<Parsed>();
  p->context = makeContext();
  p->diags = std::make_unique<DiagCollector>(p->context.get());
  if (std::optional<attn::SourcePosition> deep =
          attn::findExcessiveNesting(text)) {
    emitError(FileLineColLoc::get(p->context.get(), filename, deep->line,
                                  deep->column))
        << attn::excessiveNestingMessage();
    p->diags->fail("cannot parse the spec");
  }
  ParserConfig config(p->context.get());
  p->module = parseSourceString<ModuleOp>(text, config, filename);
  if (!p->module)
    p->diags->fail("cannot parse the spec");
  attn::locateImplicitModule(*p->module);
  FailureOr<attn::SpecBinding> binding = attn::bindSpec(*p->module, entry);
  if (failed(binding))
    p->diags->fail("cannot bind the spec");
  p->binding = *binding;
  return p;
}

static std::optional<attn::DType> parseDType(const std::string &name) {
  using attn::DType;
  for (DType d : {DType::F64, DType::F32, DType::F16, DType::BF16, DType::I64,
                  DType::I32, DType::I8, DType::I1, DType::F8E4M3,
                  DType::F8E5M2})
    if (attn::dtypeName(d) == name)
      return d;
  return std::nullopt;
}

static attn::DType requireDType(const std::string &name) {
  if (auto d = parseDType(name))
    return *d;
  throw ArgumentTypeError("unknown element type '" + name + "'");
}

/// The element type name used on the Python side ("index" for index).
static std::string elementTypeName(Type t) {
  if (t.isIndex())
    return "index";
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

using ArgTypes = std::vector<std::pair<attn::DType, llvm::SmallVector<int64_t, 4>>>;

static ArgTypes toArgTypes(
    const std::vector<std::pair<std::string, std::vector<int64_t>>> &in) {
  ArgTypes out;
  for (auto &[dtype, shape] : in)
    out.push_back({requireDType(dtype),
                   llvm::SmallVector<int64_t, 4>(shape.begin(), shape.end())});
  return out;
}

//===----------------------------------------------------------------------===//
// NumPy arrays
//===----------------------------------------------------------------------===//

using InArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;
using OutArray = nb::ndarray<nb::c_contig, nb::device::cpu>;

/// Whether a NumPy array's element type can hold `dtype` (bf16 travels as
/// 16-bit unsigned integers).
template <typename Array>
static bool compatible(const Array &a, attn::DType dtype) {
  using attn::DType;
  nb::dlpack::dtype t = a.dtype();
  auto code = static_cast<nb::dlpack::dtype_code>(t.code);
  switch (dtype) {
  case DType::F64: return code == nb::dlpack::dtype_code::Float && t.bits == 64;
  case DType::F32: return code == nb::dlpack::dtype_code::Float && t.bits == 32;
  case DType::F16: return code == nb::dlpack::dtype_code::Float && t.bits == 16;
  case DType::BF16:
    return (code == nb::dlpack::dtype_code::UInt ||
            code == nb::dlpack::dtype_code::Bfloat) && t.bits == 16;
  case DType::I64: return code == nb::dlpack::dtype_code::Int && t.bits == 64;
  case DType::I32: return code == nb::dlpack::dtype_code::Int && t.bits == 32;
  case DType::I8: return code == nb::dlpack::dtype_code::Int && t.bits == 8;
  case DType::I1:
    return (code == nb::dlpack::dtype_code::Bool ||
            code == nb::dlpack::dtype_code::UInt ||
            code == nb::dlpack::dtype_code::Int) && t.bits == 8;
  case DType::I4:
    return false; // packed nibbles have no NumPy dtype: not passed yet
  case DType::F8E4M3:
  case DType::F8E5M2:
    // FP8 bit patterns as uint8 (NumPy has no FP8 type).
    return code == nb::dlpack::dtype_code::UInt && t.bits == 8;
  }
  return false;
}

template <typename Array>
static std::vector<int64_t> shapeOf(const Array &a) {
  std::vector<int64_t> shape;
  for (size_t d = 0; d < a.ndim(); ++d)
    shape.push_back(static_cast<int64_t>(a.shape(d)));
  return shape;
}

template <typename Array>
static void checkArray(const Array &a, attn::DType dtype, const char *what,
                       size_t index) {
  if (!compatible(a, dtype))
    throw ArgumentTypeError(std::string(what) + " " + std::to_string(index) +
                            " does not hold " +
                            attn::dtypeName(dtype).str() + " elements");
}

static attn::BufferView viewOf(void *data, attn::DType dtype,
                               const std::vector<int64_t> &shape) {
  attn::BufferView view;
  view.data = data;
  view.dtype = dtype;
  view.shape.assign(shape.begin(), shape.end());
  view.strides.resize(shape.size());
  int64_t stride = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    view.strides[d] = stride;
    stride *= shape[d];
  }
  return view;
}

static attn::NDArray copyToNDArray(const InArray &a, attn::DType dtype) {
  attn::NDArray array(dtype, shapeOf(a));
  if (array.sizeInBytes())
    std::memcpy(array.data(), a.data(), array.sizeInBytes());
  return array;
}

/// Writes `src` (any dtype) into the float64 array `dst` of the same size.
static void copyToDoubles(const attn::NDArray &src, OutArray &dst) {
  if (static_cast<int64_t>(dst.size()) != src.numElements())
    throw ArgumentError("result array has " + std::to_string(dst.size()) +
                        " elements, expected " +
                        std::to_string(src.numElements()));
  auto *out = static_cast<double *>(dst.data());
  for (int64_t i = 0, e = src.numElements(); i < e; ++i)
    out[i] = src.getDouble(i);
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// The process-wide kernel cache. Deliberately leaked: destroying JIT
/// engines from an exit handler, after LLVM's own statics are gone, crashes.
attn::KernelCache &kernelCache() {
  static attn::KernelCache *cache = new attn::KernelCache();
  return *cache;
}

struct Kernel {
  std::shared_ptr<const attn::CompiledFunction> fn;
  /// Extents of -1 are dynamic (a tile-program kernel): any extent runs.
  ArgTypes argTypes;
  std::vector<attn::DType> resultTypes;
  bool tileProgram = false;

  void run(const std::vector<InArray> &args, std::vector<OutArray> &results) {
    if (args.size() != argTypes.size())
      throw ArgumentError("the kernel takes " + std::to_string(argTypes.size()) +
                          " arguments, got " + std::to_string(args.size()));
    if (results.size() != resultTypes.size())
      throw ArgumentError("the kernel has " + std::to_string(resultTypes.size()) +
                          " results, got " + std::to_string(results.size()) +
                          " result arrays");
    std::vector<attn::BufferView> argViews, resultViews;
    for (size_t i = 0; i < args.size(); ++i) {
      checkArray(args[i], argTypes[i].first, "argument", i);
      std::vector<int64_t> shape = shapeOf(args[i]);
      const llvm::SmallVector<int64_t, 4> &want = argTypes[i].second;
      bool matches = shape.size() == want.size();
      for (size_t d = 0; matches && d < shape.size(); ++d)
        matches = want[d] == attn::kDynamicExtent || want[d] == shape[d];
      if (!matches)
        throw ArgumentError("argument " + std::to_string(i) +
                            " does not have the shape the kernel was "
                            "compiled for");
      argViews.push_back(viewOf(const_cast<void *>(args[i].data()),
                                argTypes[i].first, shape));
    }
    for (size_t i = 0; i < results.size(); ++i) {
      checkArray(results[i], resultTypes[i], "result", i);
      resultViews.push_back(
          viewOf(results[i].data(), resultTypes[i], shapeOf(results[i])));
    }
    llvm::Error err = llvm::Error::success();
    {
      nb::gil_scoped_release release;
      err = fn->run(argViews, resultViews);
    }
    if (err)
      throw std::runtime_error(llvm::toString(std::move(err)));
  }
};

Kernel compileKernel(
    const std::string &text, const std::string &filename,
    const std::string &entry,
    const std::vector<std::pair<std::string, std::vector<int64_t>>> &types,
    const std::vector<std::string> &resultDTypes, const std::string &lowering,
    int64_t tileQ, int64_t tileKv, unsigned threads, int64_t vectorWidth,
    int64_t linearChunk, bool portableTiles) {
  attn::CompileOptions options;
  if (lowering == "tile_program")
    options.lowering = attn::CompileOptions::Lowering::TileProgram;
  else if (lowering == "untiled")
    options.lowering = attn::CompileOptions::Lowering::Untiled;
  else
    throw ArgumentError("lowering must be tile_program or untiled, got '" +
                        lowering + "'");
  bool tileProgram = options.tileProgram();
  if (tileQ < 0 || tileKv < 1 || tileQ > attn::kMaxTileProgramTile ||
      tileKv > attn::kMaxTileProgramTile)
    throw ArgumentError("tile_q must be in [0, " +
                        std::to_string(attn::kMaxTileProgramTile) +
                        "] (0: automatic) and tile_kv in [1, " +
                        std::to_string(attn::kMaxTileProgramTile) + "]");
  if (vectorWidth != 0 && vectorWidth != 8 && vectorWidth != 16)
    throw ArgumentError("vector_width must be 0 (automatic), 8 or 16, got " +
                        std::to_string(vectorWidth));
  if (tileProgram) {
    std::string invalid =
        attn::checkTileProgramOptions(tileQ ? tileQ : 32, tileKv, 1, linearChunk);
    if (!invalid.empty())
      throw ArgumentError(invalid);
  }
  ArgTypes argTypes = toArgTypes(types);
  if (!tileProgram)
    for (auto &[dtype, shape] : argTypes)
      for (int64_t d : shape)
        if (d < 0)
          throw ArgumentError("dynamic extents (-1) need tile_program");
  options.tileQ = tileQ;
  options.tileKv = tileKv;
  options.threads = threads;
  if (portableTiles && (!tileProgram || vectorWidth))
    throw ArgumentError("portable_tiles needs tile_program and vector_width 0");
  options.vectorWidth = vectorWidth;
  // linearChunk stays at its default elsewhere: the other lowerings do not
  // read it, and a value would split cache entries.
  if (tileProgram) {
    options.portableTiles = portableTiles;
    options.linearChunk = linearChunk;
  }
  llvm::Expected<std::shared_ptr<const attn::CompiledFunction>> compiled =
      std::shared_ptr<const attn::CompiledFunction>();
  {
    nb::gil_scoped_release release;
    compiled = kernelCache().getOrCompile(text, entry, argTypes, options);
  }
  if (!compiled) {
    std::string message = llvm::toString(compiled.takeError());
    // Find out whether the spec itself is at fault, for a located SpecError.
    std::unique_ptr<Parsed> p = parseAndBind(text, filename, entry);
    auto specialized = attn::specializeToTypes(p->binding, argTypes);
    if (failed(specialized))
      p->diags->fail("the spec does not accept these inputs");
    throw CompileFailure(message);
  }
  Kernel k;
  k.fn = std::move(*compiled);
  k.argTypes = std::move(argTypes);
  k.tileProgram = tileProgram;
  for (const std::string &r : resultDTypes)
    k.resultTypes.push_back(requireDType(r));
  return k;
}

/// The checks a static specialization makes (the verifier's, located in
/// the spec), for shapes a dynamic kernel is about to run on: the kernel
/// itself only checks element types, ranks and static extents.
void checkTypes(
    const std::string &text, const std::string &filename,
    const std::string &entry,
    const std::vector<std::pair<std::string, std::vector<int64_t>>> &types) {
  ArgTypes argTypes = toArgTypes(types);
  for (auto &[dtype, shape] : argTypes)
    for (int64_t d : shape)
      if (d < 0)
        throw ArgumentError("check_types takes actual extents, got " +
                            std::to_string(d));
  std::unique_ptr<Parsed> p = parseAndBind(text, filename, entry);
  if (failed(attn::specializeToTypes(p->binding, argTypes)))
    p->diags->fail("the spec does not accept these inputs");
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

nb::dict bindInfo(const std::string &text, const std::string &filename,
                  const std::string &entry) {
  std::unique_ptr<Parsed> p = parseAndBind(text, filename, entry);
  const attn::SpecBinding &b = p->binding;
  nb::dict info;
  info["entry"] = b.func.getSymName().str();
  nb::list args;
  for (unsigned n = 0; n < b.func.getNumArguments(); ++n) {
    auto type = cast<RankedTensorType>(b.func.getArgumentTypes()[n]);
    nb::dict a;
    a["name"] = b.names[n];
    a["role"] = attn::argRoleName(b.roles[n]).str();
    a["dtype"] = elementTypeName(type.getElementType());
    nb::list shape;
    for (int64_t d : type.getShape())
      shape.append(ShapedType::isDynamic(d) ? nb::object(nb::none()) : nb::object(nb::int_(d)));
    a["shape"] = shape;
    args.append(a);
  }
  info["args"] = args;
  auto outType = cast<RankedTensorType>(b.func.getResultTypes()[0]);
  info["output_dtype"] = elementTypeName(outType.getElementType());
  // The function's results: a multi-branch spec returns its last op's.
  info["has_lse"] = b.func.getNumResults() > 1;
  info["normalization"] =
      attn::stringifyNormalizationKind(b.op.getNormalizationKind()).str();
  std::string printed;
  {
    llvm::raw_string_ostream os(printed);
    if (auto mask = b.op.getMaskAttr())
      mask.print(os);
  }
  info["mask"] = printed.empty() ? nb::object(nb::none()) : nb::str(printed.c_str());
  info["has_mask_fn"] = !b.op.getMaskFn().empty();
  info["has_score_mod"] = !b.op.getScoreMod().empty();
  info["has_weight_mod"] = !b.op.getWeightMod().empty();
  int64_t perHead = -1;
  if (auto ph = dyn_cast_or_null<attn::PerHeadMaskAttr>(b.op.getMaskAttr()))
    perHead = ph.getNumHeads();
  info["per_head_heads"] = perHead;
  info["head_invariant"] = attn::isHeadInvariant(b.op);
  std::string featureMap;
  if (auto fm = b.op.getFeatureMapAttr())
    featureMap = attn::stringifyFeatureMapKind(fm.getKind()).str();
  info["feature_map"] =
      featureMap.empty() ? nb::object(nb::none()) : nb::str(featureMap.c_str());
  info["has_decay"] = static_cast<bool>(b.op.getDecay());
  return info;
}

/// Parses the spec, specializes it to the shapes of `args` and calls `fn`
/// with the bound concrete spec and the arrays (the reference's inputs).
template <typename Fn>
auto withConcreteSpec(const std::string &text, const std::string &filename,
                      const std::string &entry,
                      const std::vector<std::string> &dtypes,
                      const std::vector<InArray> &args, Fn fn) {
  std::unique_ptr<Parsed> p = parseAndBind(text, filename, entry);
  if (dtypes.size() != args.size())
    throw ArgumentError("one dtype per argument is needed");
  std::vector<attn::NDArray> arrays;
  for (size_t i = 0; i < args.size(); ++i) {
    attn::DType dtype = requireDType(dtypes[i]);
    checkArray(args[i], dtype, "argument", i);
    arrays.push_back(copyToNDArray(args[i], dtype));
  }
  auto specialized = attn::specializeToShapes(p->binding, arrays);
  if (failed(specialized))
    p->diags->fail("the spec does not accept these inputs");
  FailureOr<attn::SpecBinding> concrete =
      attn::bindSpec(**specialized, p->binding.func.getSymName());
  if (failed(concrete))
    p->diags->fail("cannot bind the specialized spec");
  return fn(*p, *concrete, arrays);
}

/// Throws a ReferenceFailure located at the op for a reference error.
[[noreturn]] void referenceFailed(Parsed &p, const attn::SpecBinding &concrete,
                                  llvm::Error error) {
  // Located at the op, so that the error shows the spec line; the
  // evaluator's message names the region op at fault, if any.
  concrete.op.emitError() << "reference evaluation failed: "
                          << llvm::toString(std::move(error));
  throw ReferenceFailure(p.diags->records,
                         "the reference cannot evaluate the spec on these values");
}

nb::tuple referenceEval(const std::string &text, const std::string &filename,
                        const std::string &entry,
                        const std::vector<std::string> &dtypes,
                        const std::vector<InArray> &args, OutArray out,
                        std::optional<OutArray> lse) {
  return withConcreteSpec(
      text, filename, entry, dtypes, args,
      [&](Parsed &p, const attn::SpecBinding &concrete,
          const std::vector<attn::NDArray> &arrays) {
        // The whole function: one op, or branches and their combination.
        llvm::Expected<attn::reference::Outputs> result =
            attn::referenceOutputs(concrete, arrays);
        if (!result)
          referenceFailed(p, concrete, result.takeError());
        copyToDoubles(result->output, out);
        bool wroteLse = false;
        if (lse && result->lse) {
          copyToDoubles(*result->lse, *lse);
          wroteLse = true;
        }
        return nb::make_tuple(wroteLse, static_cast<bool>(result->lse));
      });
}

/// The key blocks the spec's selection keeps for every query token
/// (reference::selectedBlocks): (flags as bytes [B, Hq, Nq, blocks], that
/// shape, the selection's q_block). A spec without a selection is an
/// ArgumentError.
nb::tuple selectedBlocks(const std::string &text, const std::string &filename,
                         const std::string &entry,
                         const std::vector<std::string> &dtypes,
                         const std::vector<InArray> &args) {
  return withConcreteSpec(
      text, filename, entry, dtypes, args,
      [&](Parsed &p, const attn::SpecBinding &concrete,
          const std::vector<attn::NDArray> &arrays) {
        attn::TopKBlocksAttr selection = concrete.op.getSelectionAttr();
        if (!selection)
          throw ArgumentError("the spec declares no selection "
                              "(#attn.topk_blocks): block_map(spec, q, k, v) "
                              "shows selected blocks; block_map(spec, nq, nk) "
                              "classifies a mask");
        llvm::Expected<attn::NDArray> flags = attn::reference::selectedBlocks(
            concrete.op, attn::referenceInputs(concrete, arrays));
        if (!flags)
          referenceFailed(p, concrete, flags.takeError());
        std::string bytes(flags->numElements(), '\0');
        for (int64_t i = 0, e = flags->numElements(); i < e; ++i)
          bytes[i] = flags->getDouble(i) != 0 ? 1 : 0;
        std::vector<int64_t> shape(flags->shape().begin(), flags->shape().end());
        return nb::make_tuple(nb::bytes(bytes.data(), bytes.size()), shape,
                              selection.getQBlock());
      });
}

nb::tuple blockMap(const std::string &text, const std::string &filename,
                   const std::string &entry, int64_t head, int64_t numHeads,
                   int64_t nq, int64_t nk, int64_t batch, int64_t tileQ,
                   int64_t tileKv, bool exactCounts) {
  std::unique_ptr<Parsed> p = parseAndBind(text, filename, entry);
  attn::ClassificationProblem problem{numHeads, nq, nk, batch};
  attn::ClassificationOptions options;
  options.exactCountsForCompositions = exactCounts;
  FailureOr<attn::BlockMap> map = attn::classifyBlocks(
      p->binding.op, head, problem, attn::TileSizes{tileQ, tileKv}, options);
  if (failed(map))
    p->diags->fail("cannot classify the blocks of this mask");
  int64_t rows = map->numQTiles(), cols = map->numKvTiles();
  std::string kinds(static_cast<size_t>(rows * cols), '\0');
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t u = 0; u < cols; ++u)
      kinds[t * cols + u] = static_cast<char>(map->at(t, u));
  return nb::make_tuple(nb::bytes(kinds.data(), kinds.size()), rows, cols,
                        map->density(), map->isDensityExact(),
                        map->count(attn::TileKind::Empty),
                        map->count(attn::TileKind::Full),
                        map->count(attn::TileKind::Partial));
}

#ifdef ATTN_PYTHON_HAVE_GPU
std::string emitPtx(
    const std::string &text, const std::string &filename,
    const std::string &entry,
    const std::vector<std::pair<std::string, std::vector<int64_t>>> &types,
    const std::string &chip, const std::string &features, int optLevel) {
  attn::gpu::PTXOptions options;
  options.chip = chip;
  options.features = features;
  options.optLevel = optLevel;
  if (llvm::Error err = attn::gpu::checkPTXOptions(options))
    throw ArgumentError(llvm::toString(std::move(err)));
  std::unique_ptr<Parsed> p = parseAndBind(text, filename, entry);
  ArgTypes argTypes = toArgTypes(types);
  auto specialized = attn::specializeToTypes(p->binding, argTypes);
  if (failed(specialized))
    p->diags->fail("the spec does not accept these shapes");
  llvm::Expected<std::string> ptx = attn::gpu::emitPTX(
      **specialized, p->binding.func.getSymName(), options);
  if (!ptx) {
    // Diagnostics emitted on the spec's ops while lowering are part of it.
    std::string message = llvm::toString(ptx.takeError());
    for (const DiagRecord &r : p->diags->records)
      message += "\n" + r.file + ":" + std::to_string(r.line) + ":" +
                 std::to_string(r.col) + ": " + r.message;
    throw CompileFailure(message);
  }
  return *ptx;
}
#endif

nb::dict compare(const InArray &actual, const std::string &actualDType,
                 const InArray &expected, double tolerance) {
  attn::DType dtype = requireDType(actualDType);
  checkArray(actual, dtype, "actual", 0);
  checkArray(expected, attn::DType::F64, "expected", 0);
  attn::NDArray a = copyToNDArray(actual, dtype);
  attn::NDArray e = copyToNDArray(expected, attn::DType::F64);
  if (a.shape() != e.shape())
    throw ArgumentError("compare: shapes differ");
  attn::Comparison c = attn::compareArrays(a, e, tolerance);
  nb::dict d;
  d["max_abs_error"] = c.maxAbsError;
  d["rel_frobenius_error"] = c.relFrobeniusError;
  d["tolerance"] = c.tolerance;
  d["non_finite"] = c.nonFinite;
  d["passed"] = c.passed;
  return d;
}

} // namespace

NB_MODULE(_core, m) {
  m.doc() = "attn-opt C++ bindings (use the `attn_opt` package instead)";

  nb::register_exception_translator([](const std::exception_ptr &p, void *) {
    try {
      std::rethrow_exception(p);
    } catch (const SpecFailure &e) {
      nb::list diags;
      for (const DiagRecord &r : e.diagnostics)
        diags.append(recordToPython(r));
      bool evaluation = dynamic_cast<const ReferenceFailure *>(&e) != nullptr;
      raisePython(evaluation ? "ReferenceEvaluationError" : "SpecError",
                  nb::str(e.summary.c_str()), diags,
                  evaluation ? PyExc_RuntimeError : PyExc_ValueError, e.what());
    } catch (const CompileFailure &e) {
      raisePython("CompileError", nb::str(e.what()), nb::none(),
                  PyExc_RuntimeError, e.what());
    } catch (const ArgumentTypeError &e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const ArgumentError &e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

#ifdef ATTN_PYTHON_HAVE_GPU
  m.attr("HAS_GPU") = true;
  m.def("ptx", &emitPtx, nb::arg("text"), nb::arg("filename"),
        nb::arg("entry"), nb::arg("arg_types"), nb::arg("chip"),
        nb::arg("features"), nb::arg("opt_level"));
#else
  m.attr("HAS_GPU") = false;
#endif

  m.def("bind", &bindInfo, nb::arg("text"), nb::arg("filename"),
        nb::arg("entry"));

  nb::class_<Kernel>(m, "Kernel")
      .def("run", &Kernel::run, nb::arg("args"), nb::arg("results"))
      .def_prop_ro("compile_seconds",
                   [](const Kernel &k) { return k.fn->compileSeconds(); })
      .def_prop_ro("vector_width",
                   [](const Kernel &k) { return k.fn->vectorWidth(); })
      .def_prop_ro("tile_q", [](const Kernel &k) { return k.fn->queryTile(); })
      .def_prop_ro("tile_kv", [](const Kernel &k) { return k.fn->keyTile(); })
      .def_prop_ro("bf16_dot",
                   [](const Kernel &k) { return k.fn->bf16DotKind().str(); })
      .def_prop_ro("int8_dot",
                   [](const Kernel &k) { return k.fn->int8DotKind().str(); })
      .def_prop_ro("num_results",
                   [](const Kernel &k) { return k.resultTypes.size(); })
      .def_prop_ro("tile_program",
                   [](const Kernel &k) {
                     return k.tileProgram && k.fn->numTileProgramOps() > 0;
                   })
      // Which compiled function serves this kernel (the cache shares one
      // between Kernel objects): for tests.
      .def_prop_ro("function_id", [](const Kernel &k) {
        return reinterpret_cast<uintptr_t>(k.fn.get());
      });

  m.def("compile", &compileKernel, nb::arg("text"), nb::arg("filename"),
        nb::arg("entry"), nb::arg("arg_types"), nb::arg("result_dtypes"),
        nb::arg("lowering"), nb::arg("tile_q"), nb::arg("tile_kv"),
        nb::arg("threads"), nb::arg("vector_width"),
        nb::arg("linear_chunk") = 64, nb::arg("portable_tiles") = false);
  m.def("check_tile_program_options", &attn::checkTileProgramOptions,
        nb::arg("tile_q"), nb::arg("tile_kv"), nb::arg("split_kv"),
        nb::arg("linear_chunk"));
  m.def("check_types", &checkTypes, nb::arg("text"), nb::arg("filename"),
        nb::arg("entry"), nb::arg("arg_types"));
  m.def("reference", &referenceEval, nb::arg("text"), nb::arg("filename"),
        nb::arg("entry"), nb::arg("dtypes"), nb::arg("args"), nb::arg("out"),
        nb::arg("lse").none());
  m.def("selected_blocks", &selectedBlocks, nb::arg("text"),
        nb::arg("filename"), nb::arg("entry"), nb::arg("dtypes"),
        nb::arg("args"));
  m.def("block_map", &blockMap, nb::arg("text"), nb::arg("filename"),
        nb::arg("entry"), nb::arg("head"), nb::arg("num_heads"),
        nb::arg("nq"), nb::arg("nk"), nb::arg("batch"), nb::arg("tile_q"),
        nb::arg("tile_kv"), nb::arg("exact_counts"));
  m.def("compare", &compare, nb::arg("actual"), nb::arg("actual_dtype"),
        nb::arg("expected"), nb::arg("tolerance"));
  m.def("tolerance_for", [](const std::string &dtype) {
    return attn::toleranceFor(requireDType(dtype));
  });
  m.def("cache_info", [] {
    return nb::make_tuple(kernelCache().size(), kernelCache().hits(),
                          kernelCache().evictions(), kernelCache().maxSize());
  });
  // The roles of a spec's operands (attn/Dialect/Attn/OperandRoles.h), in
  // the op's operand order: the front end's operand names and shapes.
  m.def("operand_roles", [] {
    nb::list roles;
    for (const attn::OperandRoleInfo &info : attn::operandRoles()) {
      nb::dict row;
      row["name"] = info.name.str();
      row["shape"] = info.shape.str();
      row["elements"] =
          info.elements == attn::OperandElements::Integer ? "integer"
          : info.elements == attn::OperandElements::Float ? "float"
                                                           : "query_key_value";
      row["optional"] = info.optional();
      row["attention_operand"] = info.role != attn::OperandRole::BranchGate;
      roles.append(row);
    }
    return roles;
  });
  m.def("host_vector_width", &attn::hostVectorWidth);
  m.attr("MAX_TILE_Q") = attn::kMaxTileProgramTile;
  m.attr("MAX_TILE_KV") = attn::kMaxTileProgramTile;
  m.attr("MAX_LINEAR_CHUNK") = attn::kMaxLinearChunk;
  m.def("host_has_bf16_dot", &attn::hostHasBF16Dot, nb::arg("vector_width"));
  m.def("host_has_int8_dot", &attn::hostHasInt8Dot, nb::arg("vector_width"));
}
