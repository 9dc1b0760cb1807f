//===- attn-blockmap.cpp - draw the block map of a spec as a PNG ----------===//
//
//   attn-blockmap SPEC.mlir --nq N --nk N [--heads H] [--head h]
//                 [--tile-q 64] [--tile-kv 64] [--cell PX] -o map.png
//
// Classifies every (q-tile, kv-tile) pair of the spec's attn.attention for
// one query head with the block classification (attn/Analysis/
// BlockClassification.h) and writes the map as an RGB PNG: one cell per
// tile, rows are query tiles (top: first queries), columns key tiles.
// Colors: empty tiles light gray, full tiles dark blue, partial tiles orange.
// Prints the counts of each kind and the density.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/BlockClassification.h"
#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Runner/Runner.h"
#include "attn/Runner/SpecSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <png.h>

#include <cstdio>
#include <vector>

using namespace mlir;
using namespace attn;
namespace cl = llvm::cl;

static cl::opt<std::string> specFile(cl::Positional, cl::desc("<spec.mlir>"),
                                     cl::Required);
static cl::opt<std::string> outFile("o", cl::desc("output .png"),
                                    cl::Required);
static cl::opt<std::string> entry("entry",
                                  cl::desc("function holding the op"));
static cl::opt<int64_t> nqOpt("nq", cl::desc("query length (default: the "
                                             "static extent)"),
                              cl::init(-1));
static cl::opt<int64_t> nkOpt("nk", cl::desc("key length (default: nq, or "
                                             "the static extent)"),
                              cl::init(-1));
static cl::opt<int64_t> headsOpt("heads", cl::desc("query heads (default: the "
                                                   "static extent or 1)"),
                                 cl::init(-1));
static cl::opt<int64_t> headOpt("head", cl::desc("query head to draw"),
                                cl::init(0));
static cl::opt<int64_t> tileQ("tile-q", cl::desc("queries per tile"),
                              cl::init(64));
static cl::opt<int64_t> tileKv("tile-kv", cl::desc("keys per tile"),
                               cl::init(64));
static cl::opt<int64_t> cellOpt("cell", cl::desc("pixels per tile (default: "
                                                 "about 512 pixels in all)"),
                                cl::init(0));

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "attn-blockmap: error: " << msg << "\n";
  return 1;
}

namespace {
struct RGB {
  uint8_t r, g, b;
};
} // namespace

static RGB colorOf(TileKind kind) {
  switch (kind) {
  case TileKind::Empty:
    return {235, 235, 235};
  case TileKind::Full:
    return {31, 58, 147};
  case TileKind::Partial:
    return {245, 145, 32};
  }
  return {0, 0, 0};
}

/// Writes `pixels` (rows of width * 3 bytes) as an 8-bit RGB PNG.
static bool writePng(const std::string &path, int64_t width, int64_t height,
                     const std::vector<uint8_t> &pixels, std::string &error) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = "cannot open '" + path + "' for writing";
    return false;
  }
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    std::fclose(f);
    error = "libpng could not allocate its structures";
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    error = "libpng failed while writing '" + path + "'";
    return false;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width),
               static_cast<png_uint_32>(height), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int64_t y = 0; y < height; ++y)
    png_write_row(png, const_cast<png_bytep>(&pixels[y * width * 3]));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return std::fclose(f) == 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "attn-blockmap: draw a spec's block map\n");

  MLIRContext context;
  loadSpecDialects(context);
  SpecSource spec(context);
  std::string readError;
  OwningOpRef<ModuleOp> module = spec.parseFile(specFile, readError);
  if (!module)
    return readError.empty() ? 1 : fail(readError);

  // The function as attn-run chooses it; errors point into the file
  // (SpecSource prints them).
  FailureOr<AttentionOp> found = findSpecAttention(*module, entry);
  if (failed(found))
    return 1;
  AttentionOp op = *found;

  // Sizes given on the command line must be sizes (absent ones come from
  // the spec).
  for (cl::opt<int64_t> *size : {&nqOpt, &nkOpt, &headsOpt, &tileQ, &tileKv})
    if (size->getNumOccurrences() > 0 && *size <= 0)
      return fail("--" + size->ArgStr + " must be positive, got " +
                  llvm::Twine(size->getValue()));
  if (headOpt < 0)
    return fail("--head must be non-negative, got " + llvm::Twine(headOpt));

  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  auto kType = cast<RankedTensorType>(op.getKey().getType());
  auto pick = [](int64_t option, int64_t dim, int64_t fallback) {
    if (option > 0)
      return option;
    return ShapedType::isDynamic(dim) ? fallback : dim;
  };
  ClassificationProblem problem;
  problem.nq = pick(nqOpt, qType.getDimSize(2), -1);
  problem.nk = pick(nkOpt, kType.getDimSize(2), problem.nq);
  int64_t defaultHeads = 1;
  if (auto ph = dyn_cast_or_null<PerHeadMaskAttr>(op.getMaskAttr()))
    defaultHeads = ph.getNumHeads();
  problem.numHeads = pick(headsOpt, qType.getDimSize(1), defaultHeads);
  if (!ShapedType::isDynamic(qType.getDimSize(0)))
    problem.batch = qType.getDimSize(0);
  if (problem.nq <= 0 || problem.nk <= 0)
    return fail("the spec has dynamic sequence lengths: give --nq (and --nk)");

  FailureOr<BlockMap> map = classifyBlocks(op, headOpt, problem,
                                           TileSizes{tileQ, tileKv});
  if (failed(map))
    return 1;

  int64_t rows = map->numQTiles(), cols = map->numKvTiles();
  int64_t cell = cellOpt > 0 ? cellOpt
                             : std::max<int64_t>(1, 512 / std::max(rows, cols));
  // A one-pixel white grid between cells of at least 4 pixels.
  int64_t gap = cell >= 4 ? 1 : 0;
  int64_t width = cols * cell, height = rows * cell;
  if (width > 16384 || height > 16384)
    return fail("image of " + llvm::Twine(width) + "x" + llvm::Twine(height) +
                " pixels is too large; use larger tiles or --cell");
  std::vector<uint8_t> pixels(static_cast<size_t>(width * height * 3), 255);
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t u = 0; u < cols; ++u) {
      RGB c = colorOf(map->at(t, u));
      for (int64_t y = t * cell; y < (t + 1) * cell - gap; ++y)
        for (int64_t x = u * cell; x < (u + 1) * cell - gap; ++x) {
          uint8_t *p = &pixels[(y * width + x) * 3];
          p[0] = c.r;
          p[1] = c.g;
          p[2] = c.b;
        }
    }
  std::string error;
  if (!writePng(outFile, width, height, pixels, error))
    return fail(error);

  llvm::outs() << "block map of head " << headOpt << ": nq " << problem.nq
               << ", nk " << problem.nk << ", tiles " << tileQ << "x"
               << tileKv << " -> " << rows << "x" << cols << " tiles, "
               << map->count(TileKind::Empty) << " empty, "
               << map->count(TileKind::Full) << " full, "
               << map->count(TileKind::Partial) << " partial, density "
               << llvm::format("%.4f", map->density())
               << (map->isDensityExact() ? "" : " (upper bound)") << "; wrote "
               << outFile << " (" << width << "x" << height << ")\n";
  return 0;
}
