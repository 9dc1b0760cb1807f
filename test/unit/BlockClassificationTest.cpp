//===- BlockClassificationTest.cpp - block classification vs brute force ---===//
//
// Checks attn::classifyBlocks against an elementwise brute-force evaluation
// written here from the attribute descriptions in AttnAttrs.td:
//
// * soundness (an Empty tile keeps nothing, a Full tile keeps everything) on
//   random compositions of mask attributes, with runtime masks (document,
//   block_sparse: checked against several random runtime inputs) and random
//   region masks built from arith ops, at random sizes (Nq != Nk, lengths
//   that are not multiples of the tiles, tiles of 1);
// * exactness (Partial only for really mixed tiles) and exact kept counts for
//   attribute masks, at sizes where the brute-force refinement applies, and
//   for single attributes also beyond it (closed forms);
// * the BlockMap API (compressed lists, counts, density) and head invariance.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/BlockClassification.h"
#include "attn/Dialect/Attn/AttnDialect.h"
#include "attn/Runner/SpecSource.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace attn;

namespace {

//===----------------------------------------------------------------------===//
// Brute-force oracle (from the attribute descriptions)
//===----------------------------------------------------------------------===//

int64_t fdiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
int64_t fmod(int64_t a, int64_t b) { return a - fdiv(a, b) * b; }
/// Ceiling division, written without negating a: -INT64_MIN overflows.
int64_t cdiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) == (b < 0)) ? q + 1 : q;
}

/// Runtime inputs of document and block_sparse masks.
struct RuntimeData {
  int64_t batch = 1, heads = 1;
  std::vector<int64_t> qSeg, kSeg; // [batch x Nq], [batch x Nk]
  int64_t blockQ = 1, blockKv = 1, nqb = 0, nkb = 0;
  std::vector<int64_t> layout; // [batch x heads x nqb x nkb]
};

struct Oracle {
  int64_t nq, nk;
  const RuntimeData *data = nullptr;

  bool neighborhood(NeighborhoodMaskAttr nb, int64_t i, int64_t j) const {
    // Resolve the grid, then per axis (row-major, last axis fastest).
    std::vector<int64_t> grid(nb.getGrid().asArrayRef().begin(),
                              nb.getGrid().asArrayRef().end());
    int64_t known = 1;
    for (int64_t e : grid)
      if (e != -1)
        known *= e;
    for (int64_t &e : grid)
      if (e == -1)
        e = nq / known;
    int64_t rank = grid.size();
    std::vector<int64_t> x(rank), y(rank);
    for (int64_t a = rank - 1, ii = i, jj = j; a >= 0; --a) {
      x[a] = ii % grid[a];
      ii /= grid[a];
      y[a] = jj % grid[a];
      jj /= grid[a];
    }
    for (int64_t a = 0; a < rank; ++a) {
      int64_t k = nb.getKernel()[a], d = nb.getDilationAt(a), n = grid[a];
      if (x[a] % d != y[a] % d)
        return false;
      int64_t g = x[a] % d;
      // Length of the dilation group: coordinates g, g + d, ... < n.
      int64_t length = 0;
      for (int64_t c = g; c < n; c += d)
        ++length;
      int64_t xs = x[a] / d, ys = y[a] / d;
      // GNA stride: the stride group's leader owns the window.
      int64_t s = nb.getStrideAt(a);
      int64_t leader = std::min<int64_t>(
          (xs / s) * s + (nb.getCausalAt(a) ? s - 1 : s / 2), length - 1);
      int64_t lo, hi;
      if (nb.getCausalAt(a)) {
        lo = leader - k + 1;
        hi = xs;
      } else {
        lo = std::clamp<int64_t>(leader - k / 2, 0, length - k);
        hi = lo + k - 1;
      }
      if (ys < lo || ys > hi)
        return false;
    }
    return true;
  }

  bool keep(MaskAttrInterface m, int64_t b, int64_t h, int64_t i,
            int64_t j) const {
    int64_t p = i + (nk - nq);
    if (isa<FullMaskAttr>(m))
      return true;
    if (isa<CausalMaskAttr>(m))
      return j <= p;
    if (auto w = dyn_cast<WindowMaskAttr>(m))
      return p - w.getLeft() <= j && j <= p + w.getRight();
    if (auto s = dyn_cast<SinksMaskAttr>(m))
      return j < s.getCount();
    if (auto s = dyn_cast<StridedMaskAttr>(m)) {
      int64_t J = fdiv(j, s.getBlock());
      int64_t o = s.getOffset() + h * s.getHeadStep();
      return fmod(J - o, s.getStride()) == 0;
    }
    if (auto d = dyn_cast<DilatedMaskAttr>(m))
      return fmod(p - j, d.getRate()) == 0;
    if (auto c = dyn_cast<ChunkedMaskAttr>(m))
      return fdiv(p, c.getSize()) == fdiv(j, c.getSize());
    if (auto pl = dyn_cast<PrefixLMMaskAttr>(m))
      return j < pl.getPrefix() || j <= p;
    if (auto nb = dyn_cast<NeighborhoodMaskAttr>(m))
      return neighborhood(nb, i, j);
    if (isa<DocumentMaskAttr>(m))
      return data->qSeg[b * nq + i] == data->kSeg[b * nk + j];
    if (auto bs = dyn_cast<BlockSparseMaskAttr>(m)) {
      int64_t qb = i / bs.getBlockQ(), kb = j / bs.getBlockKv();
      return data->layout[((b * data->heads + h) * data->nqb + qb) *
                              data->nkb +
                          kb] != 0;
    }
    if (auto a = dyn_cast<AndMaskAttr>(m)) {
      for (MaskAttrInterface c : a.getMasks())
        if (!keep(c, b, h, i, j))
          return false;
      return true;
    }
    if (auto o = dyn_cast<OrMaskAttr>(m)) {
      for (MaskAttrInterface c : o.getMasks())
        if (keep(c, b, h, i, j))
          return true;
      return false;
    }
    if (auto n = dyn_cast<NotMaskAttr>(m))
      return !keep(n.getMask(), b, h, i, j);
    if (auto ph = dyn_cast<PerHeadMaskAttr>(m))
      return keep(ph.getMaskForHead(h), b, h, i, j);
    ADD_FAILURE() << "oracle does not know mask";
    return false;
  }
};

//===----------------------------------------------------------------------===//
// Random region masks: an expression tree, printed as arith ops and
// evaluated here with 64-bit wrapping index semantics.
//===----------------------------------------------------------------------===//

struct Expr {
  std::string op; // "arg", "const", "true", "false", or an arith op name
  int64_t value = 0;   // argument index, constant, or immediate operand
  std::string pred;    // cmpi predicate
  bool isBool = false;
  std::vector<int> kids;
};

struct RegionGen {
  std::mt19937_64 &rng;
  std::vector<Expr> pool;

  int64_t uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }
  int add(Expr e) {
    pool.push_back(std::move(e));
    return pool.size() - 1;
  }

  int genIndex(int depth) {
    if (depth <= 0 || uniform(0, 9) < 3) {
      if (uniform(0, 2) == 0) {
        Expr e;
        e.op = "const";
        e.value = uniform(-6, 40);
        // Occasionally a huge constant, so that index arithmetic wraps.
        static const int64_t huge[] = {std::numeric_limits<int64_t>::max(),
                                       std::numeric_limits<int64_t>::min(),
                                       int64_t(1) << 62, -(int64_t(1) << 62),
                                       int64_t(1) << 32, -3037000500};
        if (uniform(0, 11) == 0)
          e.value = huge[uniform(0, 5)];
        return add(e);
      }
      Expr e;
      e.op = "arg";
      e.value = uniform(0, 9) < 1 ? uniform(0, 1) : uniform(2, 3);
      return add(e);
    }
    static const char *binary[] = {
        "arith.addi",  "arith.subi",  "arith.muli",  "arith.andi",
        "arith.ori",   "arith.xori",  "arith.minsi", "arith.maxsi",
        "arith.minui", "arith.maxui", "arith.subi",  "arith.addi"};
    static const char *byConst[] = {"arith.divsi",      "arith.divui",
                                    "arith.remsi",      "arith.remui",
                                    "arith.floordivsi", "arith.ceildivsi",
                                    "arith.shrsi",      "arith.shrui",
                                    "arith.shli"};
    int64_t choice = uniform(0, 9);
    Expr e;
    if (choice < 6) {
      e.op = binary[uniform(0, 11)];
      e.kids = {genIndex(depth - 1), genIndex(depth - 1)};
    } else if (choice < 9) {
      e.op = byConst[uniform(0, 8)];
      bool shift = e.op.find("sh") != std::string::npos;
      e.value = shift ? uniform(0, 3) : uniform(1, 9);
      e.kids = {genIndex(depth - 1)};
    } else {
      e.op = "arith.select";
      e.kids = {genBool(depth - 1), genIndex(depth - 1), genIndex(depth - 1)};
    }
    return add(e);
  }

  int genBool(int depth) {
    Expr e;
    e.isBool = true;
    int64_t choice = uniform(0, 9);
    if (depth <= 0 || choice < 6) {
      if (uniform(0, 19) == 0) {
        e.op = uniform(0, 1) ? "true" : "false";
        return add(e);
      }
      static const char *preds[] = {"eq",  "ne",  "slt", "sle", "sgt",
                                    "sge", "ult", "ule", "ugt", "uge"};
      e.op = "arith.cmpi";
      e.pred = preds[uniform(0, 9)];
      e.kids = {genIndex(std::max(depth - 1, 1)),
                genIndex(std::max(depth - 1, 1))};
      return add(e);
    }
    static const char *ops[] = {"arith.andi", "arith.ori", "arith.xori"};
    e.op = ops[uniform(0, 2)];
    e.kids = {genBool(depth - 1), genBool(depth - 1)};
    return add(e);
  }

  /// Prints the ops computing node `n`; returns its SSA name.
  std::string emit(int n, std::string &out, int &counter) {
    const Expr &e = pool[n];
    if (e.op == "arg") {
      static const char *names[] = {"%b", "%h", "%i", "%j"};
      return names[e.value];
    }
    std::string type = e.isBool ? "i1" : "index";
    std::string name = "%v" + std::to_string(counter++);
    if (e.op == "const") {
      out += "  " + name + " = arith.constant " + std::to_string(e.value) +
             " : index\n";
      return name;
    }
    if (e.op == "true" || e.op == "false") {
      out += "  " + name + " = arith.constant " + e.op + "\n";
      return name;
    }
    std::vector<std::string> args;
    for (int k : e.kids)
      args.push_back(emit(k, out, counter));
    if (e.op == "arith.cmpi") {
      out += "  " + name + " = arith.cmpi " + e.pred + ", " + args[0] + ", " +
             args[1] + " : index\n";
    } else if (e.op == "arith.select") {
      out += "  " + name + " = arith.select " + args[0] + ", " + args[1] +
             ", " + args[2] + " : index\n";
    } else if (e.kids.size() == 1) {
      std::string c = "%v" + std::to_string(counter++);
      out += "  " + c + " = arith.constant " + std::to_string(e.value) +
             " : index\n";
      out += "  " + name + " = " + e.op + " " + args[0] + ", " + c +
             " : index\n";
    } else {
      out += "  " + name + " = " + e.op + " " + args[0] + ", " + args[1] +
             " : " + type + "\n";
    }
    return name;
  }

  uint64_t eval(int n, const uint64_t *argv) const {
    const Expr &e = pool[n];
    auto K = [&](int k) { return eval(e.kids[k], argv); };
    auto S = [](uint64_t v) { return static_cast<int64_t>(v); };
    const std::string &op = e.op;
    if (op == "arg")
      return argv[e.value];
    if (op == "const")
      return static_cast<uint64_t>(e.value);
    if (op == "true")
      return 1;
    if (op == "false")
      return 0;
    if (op == "arith.cmpi") {
      uint64_t a = K(0), b = K(1);
      const std::string &p = e.pred;
      if (p == "eq") return a == b;
      if (p == "ne") return a != b;
      if (p == "slt") return S(a) < S(b);
      if (p == "sle") return S(a) <= S(b);
      if (p == "sgt") return S(a) > S(b);
      if (p == "sge") return S(a) >= S(b);
      if (p == "ult") return a < b;
      if (p == "ule") return a <= b;
      if (p == "ugt") return a > b;
      return a >= b;
    }
    if (op == "arith.select")
      return K(0) ? K(1) : K(2);
    if (e.kids.size() == 1) {
      uint64_t a = K(0);
      int64_t c = e.value;
      if (op == "arith.divsi") return static_cast<uint64_t>(S(a) / c);
      if (op == "arith.divui") return a / static_cast<uint64_t>(c);
      if (op == "arith.remsi") return static_cast<uint64_t>(S(a) % c);
      if (op == "arith.remui") return a % static_cast<uint64_t>(c);
      if (op == "arith.floordivsi") return static_cast<uint64_t>(fdiv(S(a), c));
      if (op == "arith.ceildivsi")
        return static_cast<uint64_t>(cdiv(S(a), c));
      if (op == "arith.shrsi") return static_cast<uint64_t>(S(a) >> c);
      if (op == "arith.shrui") return a >> c;
      if (op == "arith.shli") return a << c;
    }
    uint64_t a = K(0), b = K(1);
    uint64_t r;
    if (op == "arith.addi") r = a + b;
    else if (op == "arith.subi") r = a - b;
    else if (op == "arith.muli") r = a * b;
    else if (op == "arith.andi") r = a & b;
    else if (op == "arith.ori") r = a | b;
    else if (op == "arith.xori") r = a ^ b;
    else if (op == "arith.minsi") r = S(a) < S(b) ? a : b;
    else if (op == "arith.maxsi") r = S(a) > S(b) ? a : b;
    else if (op == "arith.minui") r = std::min(a, b);
    else if (op == "arith.maxui") r = std::max(a, b);
    else {
      ADD_FAILURE() << "unknown op " << op;
      r = 0;
    }
    return e.isBool ? (r & 1) : r;
  }
};

//===----------------------------------------------------------------------===//
// Random mask attributes
//===----------------------------------------------------------------------===//

struct MaskGen {
  MLIRContext *ctx;
  std::mt19937_64 &rng;
  int64_t nq, nk, heads;
  bool allowRuntime = false;
  int64_t blockQ = 1, blockKv = 1; // shared by every block_sparse of an op
  bool usesDocument = false, usesBlockSparse = false;

  int64_t uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }

  MaskAttrInterface neighborhood() {
    // Factor N = nq into 1-3 axes.
    int64_t n = nq;
    int64_t rank = uniform(1, 3);
    std::vector<int64_t> grid;
    for (int64_t a = 0; a + 1 < rank; ++a) {
      std::vector<int64_t> divisors;
      for (int64_t d = 1; d <= n; ++d)
        if (n % d == 0)
          divisors.push_back(d);
      int64_t d = divisors[uniform(0, divisors.size() - 1)];
      grid.push_back(d);
      n /= d;
    }
    grid.push_back(n);
    std::vector<int64_t> kernel, dilation, stride;
    llvm::SmallVector<bool> causal;
    bool anyDilation = uniform(0, 1), anyCausal = uniform(0, 1);
    bool anyStride = uniform(0, 1);
    for (int64_t e : grid) {
      int64_t k = uniform(1, e);
      int64_t d = anyDilation ? uniform(1, e / k) : 1;
      kernel.push_back(k);
      dilation.push_back(d);
      causal.push_back(anyCausal && uniform(0, 1));
      stride.push_back(anyStride ? uniform(1, k) : 1);
    }
    std::vector<int64_t> printedGrid = grid;
    if (uniform(0, 3) == 0)
      printedGrid[uniform(0, rank - 1)] = -1;
    return NeighborhoodMaskAttr::get(
        ctx, DenseI64ArrayAttr::get(ctx, printedGrid),
        DenseI64ArrayAttr::get(ctx, kernel),
        anyDilation ? DenseI64ArrayAttr::get(ctx, dilation)
                    : DenseI64ArrayAttr(),
        anyCausal ? DenseBoolArrayAttr::get(ctx, causal)
                  : DenseBoolArrayAttr(),
        anyStride ? DenseI64ArrayAttr::get(ctx, stride) : DenseI64ArrayAttr());
  }

  MaskAttrInterface leaf() {
    int64_t n = std::max(nq, nk);
    for (;;) {
      switch (uniform(0, 11)) {
      case 0:
        return FullMaskAttr::get(ctx);
      case 1:
        return CausalMaskAttr::get(ctx);
      case 2:
        return WindowMaskAttr::get(ctx, uniform(0, n), uniform(0, n / 2));
      case 3:
        return SinksMaskAttr::get(ctx, uniform(0, n / 2 + 1));
      case 4:
        return StridedMaskAttr::get(ctx, uniform(1, 5), uniform(1, 4),
                                    uniform(-5, 5), uniform(-3, 3));
      case 5:
        return DilatedMaskAttr::get(ctx, uniform(1, 4));
      case 6:
        return ChunkedMaskAttr::get(ctx, uniform(1, n + 1));
      case 7:
        return PrefixLMMaskAttr::get(ctx, uniform(0, n + 1));
      case 8:
        if (nq == nk)
          return neighborhood();
        break;
      case 9:
        if (allowRuntime) {
          usesDocument = true;
          return DocumentMaskAttr::get(ctx);
        }
        break;
      case 10:
        if (allowRuntime) {
          usesBlockSparse = true;
          return BlockSparseMaskAttr::get(ctx, blockQ, blockKv);
        }
        break;
      case 11:
        return WindowMaskAttr::get(ctx, uniform(0, 4), 0);
      }
    }
  }

  MaskAttrInterface mask(int depth, bool allowPerHead = true) {
    int64_t choice = uniform(0, 9);
    if (depth <= 0 || choice < 4)
      return leaf();
    if (choice < 6 || !allowPerHead) {
      llvm::SmallVector<MaskAttrInterface> kids;
      for (int64_t k = 0, e = uniform(1, 3); k < e; ++k)
        kids.push_back(mask(depth - 1, allowPerHead));
      if (choice % 2 == 0)
        return AndMaskAttr::get(ctx, kids);
      return OrMaskAttr::get(ctx, kids);
    }
    if (choice < 8)
      return NotMaskAttr::get(ctx, mask(depth - 1, allowPerHead));
    // per_head: with or without a head -> mask table.
    llvm::SmallVector<Attribute> masks;
    int64_t numMasks = uniform(1, heads);
    for (int64_t k = 0; k < numMasks; ++k)
      masks.push_back(mask(depth - 1, allowPerHead));
    if (numMasks == heads && uniform(0, 1))
      return PerHeadMaskAttr::get(ctx, ArrayAttr::get(ctx, masks),
                                  DenseI64ArrayAttr());
    std::vector<int64_t> table;
    for (int64_t h = 0; h < heads; ++h)
      table.push_back(uniform(0, numMasks - 1));
    return PerHeadMaskAttr::get(ctx, ArrayAttr::get(ctx, masks),
                                DenseI64ArrayAttr::get(ctx, table));
  }
};

//===----------------------------------------------------------------------===//
// Fixture
//===----------------------------------------------------------------------===//

class BlockClassificationTest : public ::testing::Test {
protected:
  BlockClassificationTest() { loadSpecDialects(ctx); }

  /// Parses one function holding one attn.attention.
  OwningOpRef<ModuleOp> build(int64_t batch, int64_t heads, int64_t nq,
                              int64_t nk, MaskAttrInterface mask,
                              const std::string &regionBody = "",
                              bool document = false,
                              const RuntimeData *blockSparse = nullptr) {
    auto t4 = [&](int64_t n) {
      return "tensor<" + std::to_string(batch) + "x" + std::to_string(heads) +
             "x" + std::to_string(n) + "x2xf32>";
    };
    std::string q = t4(nq), k = t4(nk);
    std::string qs = "tensor<" + std::to_string(batch) + "x" +
                     std::to_string(nq) + "xi32>";
    std::string ks = "tensor<" + std::to_string(batch) + "x" +
                     std::to_string(nk) + "xi32>";
    std::string lt;
    if (blockSparse)
      lt = "tensor<" + std::to_string(batch) + "x" + std::to_string(heads) +
           "x" + std::to_string(blockSparse->nqb) + "x" +
           std::to_string(blockSparse->nkb) + "xi8>";
    std::string text = "func.func @f(%q: " + q + ", %k: " + k + ", %v: " + k;
    if (document)
      text += ", %qs: " + qs + ", %ks: " + ks;
    if (blockSparse)
      text += ", %l: " + lt;
    text += ") -> " + q + " {\n  %o = attn.attention %q, %k, %v";
    if (document)
      text += " segment_ids(%qs, %ks : " + qs + ", " + ks + ")";
    if (blockSparse)
      text += " block_layout(%l : " + lt + ")";
    if (mask) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << mask;
      text += " mask(" + s + ")";
    }
    if (!regionBody.empty())
      text += " mask_fn {\n ^bb0(%b: index, %h: index, %i: index, %j: "
              "index):\n" +
              regionBody + " }";
    text += " : " + q + ", " + k + ", " + k + " -> " + q +
            "\n  return %o : " + q + "\n}\n";
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &ctx);
    EXPECT_TRUE(module) << text;
    return module;
  }

  static AttentionOp attentionOf(ModuleOp module) {
    AttentionOp found;
    module.walk([&](AttentionOp op) { found = op; });
    return found;
  }

  MLIRContext ctx;
};

/// Brute-force kind and kept count of one tile for all batches (a tile is
/// Full/Empty only if it is for every batch index).
struct Truth {
  bool anyKept = false, anyMasked = false;
  int64_t kept = 0; // for batch 0
  TileKind kind() const {
    if (!anyKept)
      return TileKind::Empty;
    return anyMasked ? TileKind::Partial : TileKind::Full;
  }
};

using KeepFn = std::function<bool(int64_t b, int64_t i, int64_t j)>;

Truth bruteForce(const BlockMap &map, int64_t t, int64_t u, int64_t batch,
                 const KeepFn &keep) {
  Truth truth;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = map.qTileBegin(t); i < map.qTileEnd(t); ++i)
      for (int64_t j = map.kvTileBegin(u); j < map.kvTileEnd(u); ++j) {
        bool k = keep(b, i, j);
        truth.anyKept |= k;
        truth.anyMasked |= !k;
        if (b == 0)
          truth.kept += k;
      }
  return truth;
}

/// Checks the internal consistency of a map: compressed lists vs `at`,
/// counts and density.
void checkConsistent(const BlockMap &map) {
  int64_t kinds[3] = {0, 0, 0};
  for (int64_t t = 0; t < map.numQTiles(); ++t) {
    llvm::ArrayRef<TileEntry> row = map.nonEmptyKvTiles(t);
    size_t next = 0;
    for (int64_t u = 0; u < map.numKvTiles(); ++u) {
      TileKind k = map.at(t, u);
      ++kinds[static_cast<int>(k)];
      if (k == TileKind::Empty)
        continue;
      ASSERT_LT(next, row.size());
      EXPECT_EQ(row[next].kvTile, u);
      EXPECT_EQ(row[next].kind, k);
      ++next;
    }
    EXPECT_EQ(next, row.size());
  }
  EXPECT_EQ(map.count(TileKind::Empty), kinds[0]);
  EXPECT_EQ(map.count(TileKind::Full), kinds[1]);
  EXPECT_EQ(map.count(TileKind::Partial), kinds[2]);
}

/// Soundness (always) and exactness (when `exact`) of `map` against `keep`.
/// Returns the number of tiles checked.
int64_t checkMap(const BlockMap &map, int64_t batch, const KeepFn &keep,
                 bool exact, const std::string &what) {
  checkConsistent(map);
  int64_t totalKept = 0;
  for (int64_t t = 0; t < map.numQTiles(); ++t)
    for (int64_t u = 0; u < map.numKvTiles(); ++u) {
      Truth truth = bruteForce(map, t, u, batch, keep);
      totalKept += truth.kept;
      TileKind k = map.at(t, u);
      if (k == TileKind::Empty)
        EXPECT_FALSE(truth.anyKept)
            << what << ": tile (" << t << ", " << u << ") Empty but keeps";
      if (k == TileKind::Full)
        EXPECT_FALSE(truth.anyMasked)
            << what << ": tile (" << t << ", " << u << ") Full but masks";
      if (exact)
        EXPECT_EQ(k, truth.kind())
            << what << ": tile (" << t << ", " << u << ")";
      if (batch == 1)
        if (std::optional<int64_t> c = map.keptCount(t, u))
          EXPECT_EQ(*c, truth.kept)
              << what << ": kept count of tile (" << t << ", " << u << ")";
    }
  if (batch == 1 && map.getNq() * map.getNk() > 0) {
    double truthDensity =
        static_cast<double>(totalKept) / (map.getNq() * map.getNk());
    if (map.isDensityExact())
      EXPECT_NEAR(map.density(), truthDensity, 1e-12) << what;
    else
      EXPECT_GE(map.density(), truthDensity - 1e-12) << what;
  }
  return map.numQTiles() * map.numKvTiles();
}

std::string str(Attribute a) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << a;
  return s;
}

//===----------------------------------------------------------------------===//
// Tests
//===----------------------------------------------------------------------===//

// Random compositions of attribute masks at small sizes: every tile is within
// the brute-force bound, so the classification must be exact, and with
// exactCountsForCompositions every kept count and the density too.
TEST_F(BlockClassificationTest, RandomAttributeMasksAreExact) {
  std::mt19937_64 rng(12345);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int64_t tilesChecked = 0, partialComposites = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    int64_t heads = uniform(1, 3);
    int64_t nq = uniform(1, 24), nk = uniform(1, 24);
    if (uniform(0, 3) == 0)
      nk = nq; // neighborhoods need Nq == Nk
    if (uniform(0, 9) == 0)
      nq = nk = uniform(20, 64);
    MaskGen gen{&ctx, rng, nq, nk, heads};
    MaskAttrInterface mask = gen.mask(uniform(0, 3));
    OwningOpRef<ModuleOp> module = build(1, heads, nq, nk, mask);
    ASSERT_TRUE(module);
    AttentionOp op = attentionOf(*module);
    Oracle oracle{nq, nk};
    TileSizes tiles{uniform(1, 9), uniform(1, 9)};
    if (uniform(0, 4) == 0)
      tiles = {1, 1};
    ClassificationOptions options;
    options.exactCountsForCompositions = uniform(0, 1);
    bool invariant = isHeadInvariant(op);
    std::optional<BlockMap> head0;
    for (int64_t h = 0; h < heads; ++h) {
      FailureOr<BlockMap> map =
          classifyBlocks(op, h, {heads, nq, nk, 1}, tiles, options);
      ASSERT_TRUE(succeeded(map)) << str(mask);
      std::string what = str(mask) + " head " + std::to_string(h) +
                         " nq " + std::to_string(nq) + " nk " +
                         std::to_string(nk) + " tiles " +
                         std::to_string(tiles.q) + "x" +
                         std::to_string(tiles.kv);
      tilesChecked += checkMap(
          *map, 1,
          [&](int64_t b, int64_t i, int64_t j) {
            return oracle.keep(mask, b, h, i, j);
          },
          /*exact=*/true, what);
      if (options.exactCountsForCompositions)
        EXPECT_TRUE(map->isDensityExact()) << what;
      partialComposites += map->count(TileKind::Partial);
      if (h == 0)
        head0 = *map;
      else if (invariant)
        EXPECT_TRUE(head0->sameKinds(*map)) << what;
    }
  }
  EXPECT_GT(tilesChecked, 100000);
  EXPECT_GT(partialComposites, 1000);
}

// The same masks without the refinement: composition alone must stay sound.
TEST_F(BlockClassificationTest, CompositionWithoutRefinementIsSound) {
  std::mt19937_64 rng(777);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 600; ++iter) {
    int64_t heads = uniform(1, 3);
    int64_t nq = uniform(1, 30), nk = uniform(0, 3) == 0 ? nq : uniform(1, 30);
    MaskGen gen{&ctx, rng, nq, nk, heads};
    MaskAttrInterface mask = gen.mask(uniform(1, 4));
    OwningOpRef<ModuleOp> module = build(1, heads, nq, nk, mask);
    ASSERT_TRUE(module);
    AttentionOp op = attentionOf(*module);
    Oracle oracle{nq, nk};
    TileSizes tiles{uniform(1, 8), uniform(1, 8)};
    ClassificationOptions options;
    options.maxBruteForceElements = uniform(0, 1) ? 0 : uniform(1, 20);
    for (int64_t h = 0; h < heads; ++h) {
      FailureOr<BlockMap> map =
          classifyBlocks(op, h, {heads, nq, nk, 1}, tiles, options);
      ASSERT_TRUE(succeeded(map));
      checkMap(
          *map, 1,
          [&](int64_t b, int64_t i, int64_t j) {
            return oracle.keep(mask, b, h, i, j);
          },
          /*exact=*/false, str(mask));
    }
  }
}

// Single attribute masks are exact by their closed forms at any tile size,
// including tiles far beyond the brute-force bound.
TEST_F(BlockClassificationTest, SingleAttributesExactBeyondBound) {
  std::mt19937_64 rng(4242);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 60; ++iter) {
    int64_t nq = uniform(300, 900), nk = uniform(0, 2) == 0 ? nq : uniform(300, 900);
    MaskGen gen{&ctx, rng, nq, nk, 2};
    MaskAttrInterface mask = gen.leaf();
    if (uniform(0, 2) == 0)
      mask = NotMaskAttr::get(&ctx, mask); // not of a leaf is exact too
    OwningOpRef<ModuleOp> module = build(1, 2, nq, nk, mask);
    ASSERT_TRUE(module);
    AttentionOp op = attentionOf(*module);
    Oracle oracle{nq, nk};
    TileSizes tiles{uniform(100, 400), uniform(100, 400)};
    if (uniform(0, 2) == 0)
      tiles = {uniform(1, 7), uniform(100, 900)};
    for (int64_t h = 0; h < 2; ++h) {
      FailureOr<BlockMap> map = classifyBlocks(op, h, {2, nq, nk}, tiles);
      ASSERT_TRUE(succeeded(map));
      checkMap(
          *map, 1,
          [&](int64_t b, int64_t i, int64_t j) {
            return oracle.keep(mask, b, h, i, j);
          },
          /*exact=*/true, str(mask));
      EXPECT_TRUE(map->isDensityExact()) << str(mask);
    }
  }
}

// Runtime masks (document, block_sparse) inside random compositions: sound
// for every runtime input (checked on several random ones).
TEST_F(BlockClassificationTest, RuntimeMasksAreSound) {
  std::mt19937_64 rng(99);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int64_t emptyOrFull = 0;
  for (int iter = 0; iter < 400; ++iter) {
    int64_t heads = uniform(1, 3), batch = uniform(1, 2);
    int64_t nq = uniform(1, 24), nk = uniform(0, 3) == 0 ? nq : uniform(1, 24);
    MaskGen gen{&ctx, rng, nq, nk, heads};
    gen.allowRuntime = true;
    gen.blockQ = uniform(1, 5);
    gen.blockKv = uniform(1, 5);
    MaskAttrInterface mask = gen.mask(uniform(0, 3));
    RuntimeData data;
    data.batch = batch;
    data.heads = heads;
    data.blockQ = gen.blockQ;
    data.blockKv = gen.blockKv;
    data.nqb = (nq + gen.blockQ - 1) / gen.blockQ;
    data.nkb = (nk + gen.blockKv - 1) / gen.blockKv;
    OwningOpRef<ModuleOp> module =
        build(batch, heads, nq, nk, mask, "", gen.usesDocument,
              gen.usesBlockSparse ? &data : nullptr);
    ASSERT_TRUE(module);
    AttentionOp op = attentionOf(*module);
    TileSizes tiles{uniform(1, 6), uniform(1, 6)};
    for (int64_t h = 0; h < heads; ++h) {
      FailureOr<BlockMap> map =
          classifyBlocks(op, h, {heads, nq, nk, batch}, tiles);
      ASSERT_TRUE(succeeded(map));
      emptyOrFull += map->count(TileKind::Empty) + map->count(TileKind::Full);
      for (int sample = 0; sample < 4; ++sample) {
        int64_t docs = uniform(1, 4);
        data.qSeg.resize(batch * nq);
        data.kSeg.resize(batch * nk);
        for (int64_t &s : data.qSeg)
          s = uniform(0, docs - 1);
        for (int64_t &s : data.kSeg)
          s = uniform(0, docs - 1);
        data.layout.resize(batch * heads * data.nqb * data.nkb);
        for (int64_t &l : data.layout)
          l = sample == 0 ? 1 : (sample == 1 ? 0 : uniform(0, 1));
        Oracle oracle{nq, nk, &data};
        checkMap(
            *map, batch,
            [&](int64_t b, int64_t i, int64_t j) {
              return oracle.keep(mask, b, h, i, j);
            },
            /*exact=*/false, str(mask));
      }
    }
  }
  EXPECT_GT(emptyOrFull, 1000);
}

// Random region masks (arith over b, h, i, j), alone or AND-ed with a random
// attribute mask: sound for every batch index.
TEST_F(BlockClassificationTest, RandomRegionMasksAreSound) {
  std::mt19937_64 rng(2024);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int64_t decided = 0, total = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    int64_t heads = uniform(1, 3), batch = uniform(1, 3);
    int64_t nq = uniform(1, 24), nk = uniform(0, 3) == 0 ? nq : uniform(1, 24);
    MaskAttrInterface mask;
    if (uniform(0, 1)) {
      MaskGen gen{&ctx, rng, nq, nk, heads};
      mask = gen.mask(uniform(0, 2));
    }
    RegionGen region{rng, {}};
    int rootExpr = region.genBool(uniform(1, 4));
    std::string body;
    int counter = 0;
    std::string result = region.emit(rootExpr, body, counter);
    body += "  attn.yield " + result + " : i1\n";
    OwningOpRef<ModuleOp> module = build(batch, heads, nq, nk, mask, body);
    ASSERT_TRUE(module);
    AttentionOp op = attentionOf(*module);
    Oracle oracle{nq, nk};
    TileSizes tiles{uniform(1, 6), uniform(1, 6)};
    bool knownBatch = uniform(0, 1);
    for (int64_t h = 0; h < heads; ++h) {
      FailureOr<BlockMap> map = classifyBlocks(
          op, h, {heads, nq, nk, knownBatch ? batch : -1}, tiles);
      ASSERT_TRUE(succeeded(map));
      decided += map->count(TileKind::Empty) + map->count(TileKind::Full);
      total += map->numQTiles() * map->numKvTiles();
      checkMap(
          *map, batch,
          [&](int64_t b, int64_t i, int64_t j) {
            if (mask && !oracle.keep(mask, b, h, i, j))
              return false;
            uint64_t argv[4] = {static_cast<uint64_t>(b),
                                static_cast<uint64_t>(h),
                                static_cast<uint64_t>(i),
                                static_cast<uint64_t>(j)};
            return region.eval(rootExpr, argv) != 0;
          },
          /*exact=*/false, str(mask) + "\n" + body);
    }
  }
  // The range analysis decides a good share of the tiles.
  EXPECT_GT(decided, total / 4);
}

// Hand-checked maps.
TEST_F(BlockClassificationTest, CausalBottomRightAligned) {
  // Nq = 4, Nk = 8: p = i + 4; tiles 2 x 2.
  OwningOpRef<ModuleOp> module =
      build(1, 1, 4, 8, CausalMaskAttr::get(&ctx));
  FailureOr<BlockMap> map =
      classifyBlocks(attentionOf(*module), 0, {1, 4, 8}, {2, 2});
  ASSERT_TRUE(succeeded(map));
  std::string s;
  llvm::raw_string_ostream os(s);
  map->print(os);
  EXPECT_EQ(s, "##+.\n###+\n");
  EXPECT_EQ(map->nonEmptyKvTiles(0).size(), 3u);
  EXPECT_EQ(map->nonEmptyKvTiles(0)[2].kvTile, 2);
  EXPECT_EQ(map->nonEmptyKvTiles(0)[2].kind, TileKind::Partial);
  EXPECT_EQ(map->keptCount(0, 2), std::optional<int64_t>(3));
  EXPECT_EQ(map->keptCount(0, 3), std::optional<int64_t>(0));
  EXPECT_EQ(map->keptCount(1, 3), std::optional<int64_t>(3));
  EXPECT_EQ(map->keptCount(1, 0), std::optional<int64_t>(4));
  EXPECT_TRUE(map->isDensityExact());
  EXPECT_DOUBLE_EQ(map->density(), (5 + 6 + 7 + 8) / 32.0);
}

TEST_F(BlockClassificationTest, ShortLastTilesAndUnitTiles) {
  OwningOpRef<ModuleOp> module = build(
      1, 1, 5, 5, WindowMaskAttr::get(&ctx, 1, 0));
  AttentionOp op = attentionOf(*module);
  FailureOr<BlockMap> map = classifyBlocks(op, 0, {1, 5, 5}, {3, 3});
  ASSERT_TRUE(succeeded(map));
  EXPECT_EQ(map->numQTiles(), 2);
  EXPECT_EQ(map->qTileEnd(1), 5);
  EXPECT_EQ(map->tileArea(1, 1), 4);
  std::string s;
  llvm::raw_string_ostream os(s);
  map->print(os);
  EXPECT_EQ(s, "+.\n++\n");
  FailureOr<BlockMap> unit = classifyBlocks(op, 0, {1, 5, 5}, {1, 1});
  ASSERT_TRUE(succeeded(unit));
  s.clear();
  unit->print(os);
  EXPECT_EQ(s, "#....\n##...\n.##..\n..##.\n...##\n");
}

TEST_F(BlockClassificationTest, RegionCausalMatchesAttribute) {
  // `j <= i` as a region: interval reasoning is exact for a single
  // comparison of two independent intervals.
  std::string body = "  %c = arith.cmpi ule, %j, %i : index\n"
                     "  attn.yield %c : i1\n";
  OwningOpRef<ModuleOp> region = build(1, 2, 37, 37, {}, body);
  OwningOpRef<ModuleOp> attr = build(1, 2, 37, 37, CausalMaskAttr::get(&ctx));
  for (TileSizes tiles : {TileSizes{4, 4}, TileSizes{5, 3}, TileSizes{1, 1}}) {
    FailureOr<BlockMap> a =
        classifyBlocks(attentionOf(*region), 1, {2, 37, 37}, tiles);
    FailureOr<BlockMap> b =
        classifyBlocks(attentionOf(*attr), 1, {2, 37, 37}, tiles);
    ASSERT_TRUE(succeeded(a) && succeeded(b));
    EXPECT_TRUE(a->sameKinds(*b));
  }
  EXPECT_TRUE(isHeadInvariant(attentionOf(*region)));
  std::string headBody = "  %c = arith.cmpi ule, %h, %i : index\n"
                         "  attn.yield %c : i1\n";
  OwningOpRef<ModuleOp> perHead = build(1, 2, 8, 8, {}, headBody);
  EXPECT_FALSE(isHeadInvariant(attentionOf(*perHead)));
}

TEST_F(BlockClassificationTest, HeadInvariance) {
  auto check = [&](MaskAttrInterface mask, int64_t heads, bool expected) {
    OwningOpRef<ModuleOp> module = build(1, heads, 8, 8, mask);
    EXPECT_EQ(isHeadInvariant(attentionOf(*module)), expected) << str(mask);
  };
  MLIRContext *c = &ctx;
  check(CausalMaskAttr::get(c), 2, true);
  check(StridedMaskAttr::get(c, 4, 2, 1, 0), 2, true);
  check(StridedMaskAttr::get(c, 4, 2, 1, 8), 2, true); // 8 mod 4 == 0
  check(StridedMaskAttr::get(c, 4, 2, 1, -1), 2, false);
  auto causal = CausalMaskAttr::get(c);
  auto window = WindowMaskAttr::get(c, 2, 0);
  check(PerHeadMaskAttr::get(c, ArrayAttr::get(c, {causal, window}), {}), 2,
        false);
  check(PerHeadMaskAttr::get(c, ArrayAttr::get(c, {causal, window}),
                             DenseI64ArrayAttr::get(c, {1, 1, 1})),
        3, true);
  check(PerHeadMaskAttr::get(c, ArrayAttr::get(c, {causal, causal}), {}), 2,
        true);
  check(NotMaskAttr::get(c, StridedMaskAttr::get(c, 3, 1, 0, 1)), 2, false);
}

TEST_F(BlockClassificationTest, NoMaskIsFull) {
  OwningOpRef<ModuleOp> module = build(1, 1, 7, 9, {});
  FailureOr<BlockMap> map =
      classifyBlocks(attentionOf(*module), 0, {1, 7, 9}, {4, 4});
  ASSERT_TRUE(succeeded(map));
  EXPECT_EQ(map->count(TileKind::Full), 6);
  EXPECT_DOUBLE_EQ(map->density(), 1.0);
}

TEST_F(BlockClassificationTest, InconsistentProblemsFail) {
  ScopedDiagnosticHandler silence(&ctx, [](Diagnostic &) { return success(); });
  MLIRContext *c = &ctx;
  OwningOpRef<ModuleOp> module = build(1, 2, 8, 8, CausalMaskAttr::get(c));
  AttentionOp op = attentionOf(*module);
  EXPECT_TRUE(failed(classifyBlocks(op, 0, {2, 8, 8}, {0, 4})));
  EXPECT_TRUE(failed(classifyBlocks(op, 2, {2, 8, 8}, {4, 4})));
  EXPECT_TRUE(failed(classifyBlocks(op, 0, {2, 9, 8}, {4, 4}))); // static Nq
  EXPECT_TRUE(failed(classifyBlocks(op, 0, {3, 8, 8}, {4, 4}))); // static Hq
  EXPECT_TRUE(succeeded(classifyBlocks(op, 1, {2, 8, 8}, {4, 4})));
  auto nb = NeighborhoodMaskAttr::get(c, DenseI64ArrayAttr::get(c, {-1}),
                                      DenseI64ArrayAttr::get(c, {3}), {}, {}, {});
  // Dynamic shapes: the problem decides, and must fit the masks.
  std::string text =
      "func.func @f(%q: tensor<?x?x?x2xf32>, %k: tensor<?x?x?x2xf32>) -> "
      "tensor<?x?x?x2xf32> {\n  %o = attn.attention %q, %k, %k mask(" +
      str(nb) +
      ") : tensor<?x?x?x2xf32>, tensor<?x?x?x2xf32>, tensor<?x?x?x2xf32> -> "
      "tensor<?x?x?x2xf32>\n  return %o : tensor<?x?x?x2xf32>\n}\n";
  OwningOpRef<ModuleOp> dyn = parseSourceString<ModuleOp>(text, &ctx);
  ASSERT_TRUE(dyn);
  AttentionOp dop = attentionOf(*dyn);
  EXPECT_TRUE(succeeded(classifyBlocks(dop, 0, {1, 8, 8}, {4, 4})));
  EXPECT_TRUE(failed(classifyBlocks(dop, 0, {1, 8, 9}, {4, 4}))); // Nq != Nk
  EXPECT_TRUE(failed(classifyBlocks(dop, 0, {1, 2, 2}, {4, 4}))); // k > grid
  auto ph = PerHeadMaskAttr::get(
      c, ArrayAttr::get(c, {CausalMaskAttr::get(c), FullMaskAttr::get(c)}),
      {});
  std::string text2 = text;
  text2.replace(text2.find(str(nb)), str(nb).size(), str(ph));
  OwningOpRef<ModuleOp> dyn2 = parseSourceString<ModuleOp>(text2, &ctx);
  ASSERT_TRUE(dyn2);
  EXPECT_TRUE(failed(classifyBlocks(attentionOf(*dyn2), 0, {3, 8, 8}, {4, 4})));
  EXPECT_TRUE(
      succeeded(classifyBlocks(attentionOf(*dyn2), 1, {2, 8, 8}, {4, 4})));
}

// A long-context composition classifies a million tiles quickly.
TEST_F(BlockClassificationTest, LargeProblemsScale) {
  MLIRContext *c = &ctx;
  auto mask = AndMaskAttr::get(
      c, {CausalMaskAttr::get(c),
          OrMaskAttr::get(c, {SinksMaskAttr::get(c, 4),
                              WindowMaskAttr::get(c, 4095, 0)})});
  std::string text =
      "func.func @f(%q: tensor<?x?x?x2xf32>, %k: tensor<?x?x?x2xf32>) -> "
      "tensor<?x?x?x2xf32> {\n  %o = attn.attention %q, %k, %k mask(" +
      str(mask) +
      ") : tensor<?x?x?x2xf32>, tensor<?x?x?x2xf32>, tensor<?x?x?x2xf32> -> "
      "tensor<?x?x?x2xf32>\n  return %o : tensor<?x?x?x2xf32>\n}\n";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &ctx);
  ASSERT_TRUE(module);
  int64_t n = 128 * 1024;
  FailureOr<BlockMap> map =
      classifyBlocks(attentionOf(*module), 0, {1, n, n}, {128, 128});
  ASSERT_TRUE(succeeded(map));
  EXPECT_EQ(map->numQTiles(), 1024);
  // Per q-tile: the sink tile plus the window band (32 or 33 tiles, the
  // diagonal one Partial).
  for (int64_t t = 100; t < 1024; t += 97) {
    llvm::ArrayRef<TileEntry> row = map->nonEmptyKvTiles(t);
    EXPECT_EQ(row.front().kvTile, 0);
    EXPECT_EQ(row.back().kvTile, t);
    EXPECT_EQ(row.back().kind, TileKind::Partial);
    EXPECT_EQ(map->at(t, t - 1), TileKind::Full);
  }
}

} // namespace
