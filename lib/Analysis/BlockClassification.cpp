//===- BlockClassification.cpp - empty/full/partial tiles of a mask -------===//
//
// Attribute masks are compiled, for one head, into a small tree of nodes
// (per_head resolved, strided offsets reduced) and classified per tile:
//
// * leaves in closed form (O(1) per tile; the neighborhood mask by an exact
//   count per query row, O(rank) per row, skipped for tiles outside the band
//   of the q-tile),
// * and/or/not by three-valued composition, then, when the result is Partial
//   and the composition may be inexact, row by row: each row of the tile is
//   classified by composition (O(nodes)); rows that stay Partial are
//   enumerated element by element (stopping at the first kept and the first
//   masked element) when the tile is within the element bound, and otherwise
//   leave the tile Partial.
//
// Region masks are classified by integer range inference over the tile's
// index intervals.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/BlockClassification.h"

#include "mlir/Interfaces/InferIntRangeInterface.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <limits>
#include <string>

using namespace mlir;
using namespace attn;

//===----------------------------------------------------------------------===//
// Arithmetic helpers
//===----------------------------------------------------------------------===//

namespace {
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

/// Floor division and mathematical modulo for a positive divisor.
int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
int64_t mathMod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r < 0 ? r + b : r;
}
int64_t satAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? kMax : kMin;
  return r;
}
int64_t satSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r))
    return b < 0 ? kMax : kMin;
  return r;
}
/// Number of integers in [lo, hi] ∩ [j0, j1] (j0 <= j1).
int64_t countIn(int64_t lo, int64_t hi, int64_t j0, int64_t j1) {
  int64_t a = std::max(lo, j0), b = std::min(hi, j1);
  return a > b ? 0 : b - a + 1;
}
/// Number of j in [j0, j1] with j ≡ m (mod r).
int64_t countCongruent(int64_t j0, int64_t j1, int64_t m, int64_t r) {
  int64_t first = j0 + mathMod(m - mathMod(j0, r), r);
  if (first > j1)
    return 0;
  return (j1 - first) / r + 1;
}

TileKind kindOf(bool any, bool all) {
  if (!any)
    return TileKind::Empty;
  return all ? TileKind::Full : TileKind::Partial;
}
TileKind negate(TileKind k) {
  if (k == TileKind::Empty)
    return TileKind::Full;
  if (k == TileKind::Full)
    return TileKind::Empty;
  return TileKind::Partial;
}
TileKind conjoin(TileKind a, TileKind b) {
  if (a == TileKind::Empty || b == TileKind::Empty)
    return TileKind::Empty;
  if (a == TileKind::Full && b == TileKind::Full)
    return TileKind::Full;
  return TileKind::Partial;
}

/// A rectangle of the score matrix, bounds inclusive.
struct Rect {
  int64_t i0, i1, j0, j1;
  int64_t rows() const { return i1 - i0 + 1; }
  int64_t cols() const { return j1 - j0 + 1; }
  int64_t area() const { return rows() * cols(); }
};

//===----------------------------------------------------------------------===//
// Compiled attribute masks
//===----------------------------------------------------------------------===//

enum class NodeKind : uint8_t {
  Full,
  Causal,
  Window,
  Sinks,
  Strided,
  Dilated,
  Chunked,
  PrefixLM,
  Neighborhood,
  Runtime,
  And,
  Or,
  Not
};

bool isLeaf(NodeKind k) { return k < NodeKind::And; }

/// One axis of a neighborhood mask (grid extent, kernel, dilation, causal,
/// GNA stride).
struct NbAxis {
  int64_t n, k, d;
  bool causal;
  int64_t s = 1;
};

/// The keys a query sees along one neighborhood axis:
/// {g + d * t : t in [lo, hi]}.
struct AxisSet {
  int64_t g, d, lo, hi;
  int64_t size() const { return hi - lo + 1; }
  int64_t first() const { return g + d * lo; }
  int64_t last() const { return g + d * hi; }
  bool contains(int64_t y) const {
    if (y < g || (y - g) % d != 0)
      return false;
    int64_t t = (y - g) / d;
    return t >= lo && t <= hi;
  }
  /// #{y in the set : y < c}.
  int64_t countBelow(int64_t c) const {
    int64_t t = floorDiv(c - g - 1, d); // largest t with g + d*t < c
    return std::max<int64_t>(0, std::min(t, hi) - lo + 1);
  }
};

struct Node {
  NodeKind kind;
  /// Parameters: causal none; window (left, right); sinks (count); strided
  /// (stride, block, residue of the head's offset); dilated (rate); chunked
  /// (size); prefix_lm (prefix).
  int64_t a = 0, b = 0, c = 0;
  llvm::SmallVector<unsigned, 4> children;
  /// No runtime mask in the subtree.
  bool isStatic = true;
  /// Composition of the children's classes is exact (leaves, `not` of exact).
  bool composesExactly = true;
  /// Neighborhood: axes, outermost first, and the flat stride of each axis.
  llvm::SmallVector<NbAxis, 3> axes;
  llvm::SmallVector<int64_t, 3> flatStride;
  /// Neighborhood: cached hull of the kept keys of the query rows
  /// [hullRowLo, hullRowHi].
  int64_t hullRowLo = 1, hullRowHi = 0, hullLo = 0, hullHi = -1;
};

class MaskClassifier {
public:
  MaskClassifier(int64_t nq, int64_t nk, int64_t head,
                 const ClassificationOptions &options)
      : nq(nq), nk(nk), offset(nk - nq), head(head), options(options) {}

  /// Compiles `mask` for the head; fails with `error` set on inconsistent
  /// extents.
  LogicalResult build(MaskAttrInterface mask, std::string &error) {
    FailureOr<unsigned> r = compile(mask, error);
    if (failed(r))
      return failure();
    root = *r;
    return success();
  }

  /// Classification of the whole mask on a tile (refined within bounds).
  TileKind classify(const Rect &r) { return classifyNode(root, r, true); }

  /// Exact kept count of a tile, when it can be computed within the options.
  std::optional<int64_t> count(const Rect &r) {
    const Node &n = nodes[root];
    if (!n.isStatic)
      return std::nullopt;
    if (!n.composesExactly &&
        (!options.exactCountsForCompositions ||
         r.area() > options.maxBruteForceElements))
      return std::nullopt;
    int64_t total = 0;
    for (int64_t i = r.i0; i <= r.i1; ++i)
      total += rowCount(root, i, r.j0, r.j1);
    return total;
  }

private:
  FailureOr<unsigned> compile(MaskAttrInterface mask, std::string &error);
  unsigned add(Node n) {
    nodes.push_back(std::move(n));
    return nodes.size() - 1;
  }

  TileKind classifyNode(unsigned id, const Rect &r, bool refine);
  TileKind leafKind(Node &n, const Rect &r);
  /// Exact class of a static composition on `r`, row by row: each row is
  /// classified by composition; rows left Partial are enumerated element by
  /// element when `enumerate`, else the tile stays Partial.
  TileKind refineNode(unsigned id, const Rect &r, bool enumerate);
  int64_t leafRowCount(const Node &n, int64_t i, int64_t j0, int64_t j1);
  int64_t rowCount(unsigned id, int64_t i, int64_t j0, int64_t j1);
  bool keep(unsigned id, int64_t i, int64_t j);

  // Neighborhood helpers.
  void nbRowSets(const Node &n, int64_t i, AxisSet *sets) const;
  int64_t nbCountBelow(const Node &n, const AxisSet *sets, int64_t J) const;
  bool nbKeep(const Node &n, int64_t i, int64_t j) const;
  void nbEnsureHull(Node &n, int64_t i0, int64_t i1);

  int64_t nq, nk, offset, head;
  const ClassificationOptions &options;
  llvm::SmallVector<Node, 8> nodes;
  unsigned root = 0;
};
} // namespace

FailureOr<unsigned> MaskClassifier::compile(MaskAttrInterface mask,
                                            std::string &error) {
  Node n;
  if (isa<FullMaskAttr>(mask)) {
    n.kind = NodeKind::Full;
  } else if (isa<CausalMaskAttr>(mask)) {
    n.kind = NodeKind::Causal;
  } else if (auto w = dyn_cast<WindowMaskAttr>(mask)) {
    n.kind = NodeKind::Window;
    n.a = w.getLeft();
    n.b = w.getRight();
  } else if (auto s = dyn_cast<SinksMaskAttr>(mask)) {
    n.kind = NodeKind::Sinks;
    n.a = s.getCount();
  } else if (auto s = dyn_cast<StridedMaskAttr>(mask)) {
    n.kind = NodeKind::Strided;
    n.a = s.getStride();
    n.b = s.getBlock();
    __int128 o = static_cast<__int128>(s.getOffset()) +
                 static_cast<__int128>(head) * s.getHeadStep();
    __int128 m = o % n.a;
    n.c = static_cast<int64_t>(m < 0 ? m + n.a : m);
  } else if (auto d = dyn_cast<DilatedMaskAttr>(mask)) {
    n.kind = NodeKind::Dilated;
    n.a = d.getRate();
  } else if (auto c = dyn_cast<ChunkedMaskAttr>(mask)) {
    n.kind = NodeKind::Chunked;
    n.a = c.getSize();
  } else if (auto pl = dyn_cast<PrefixLMMaskAttr>(mask)) {
    n.kind = NodeKind::PrefixLM;
    n.a = pl.getPrefix();
  } else if (auto nb = dyn_cast<NeighborhoodMaskAttr>(mask)) {
    n.kind = NodeKind::Neighborhood;
    if (nq != nk) {
      error = "#attn.neighborhood needs equal query and key lengths, got " +
              std::to_string(nq) + " and " + std::to_string(nk);
      return failure();
    }
    int64_t product = 1;
    int inferred = -1;
    for (auto [axis, extent] : llvm::enumerate(nb.getGrid().asArrayRef())) {
      if (extent == -1)
        inferred = axis;
      else
        product *= extent;
    }
    llvm::SmallVector<int64_t, 3> grid(nb.getGrid().asArrayRef());
    if (inferred >= 0) {
      if (product == 0 || nq % product != 0) {
        error = "#attn.neighborhood cannot infer a grid extent: sequence "
                "length " +
                std::to_string(nq) + " is not a multiple of " +
                std::to_string(product);
        return failure();
      }
      grid[inferred] = nq / product;
    } else if (product != nq) {
      error = "#attn.neighborhood grid has " + std::to_string(product) +
              " tokens but the sequence has " + std::to_string(nq);
      return failure();
    }
    for (unsigned axis = 0; axis < grid.size(); ++axis) {
      NbAxis ax{grid[axis], nb.getKernel()[axis], nb.getDilationAt(axis),
                nb.getCausalAt(axis), nb.getStrideAt(axis)};
      if (ax.k * ax.d > ax.n) {
        error = "#attn.neighborhood kernel * dilation of axis " +
                std::to_string(axis) + " exceeds the grid extent " +
                std::to_string(ax.n);
        return failure();
      }
      n.axes.push_back(ax);
    }
    n.flatStride.assign(grid.size(), 1);
    for (int axis = static_cast<int>(grid.size()) - 2; axis >= 0; --axis)
      n.flatStride[axis] = n.flatStride[axis + 1] * grid[axis + 1];
  } else if (auto ph = dyn_cast<PerHeadMaskAttr>(mask)) {
    return compile(ph.getMaskForHead(head), error);
  } else if (auto a = dyn_cast<AndMaskAttr>(mask)) {
    n.kind = NodeKind::And;
    for (MaskAttrInterface m : a.getMasks()) {
      FailureOr<unsigned> c = compile(m, error);
      if (failed(c))
        return failure();
      n.children.push_back(*c);
    }
  } else if (auto o = dyn_cast<OrMaskAttr>(mask)) {
    n.kind = NodeKind::Or;
    for (MaskAttrInterface m : o.getMasks()) {
      FailureOr<unsigned> c = compile(m, error);
      if (failed(c))
        return failure();
      n.children.push_back(*c);
    }
  } else if (auto nt = dyn_cast<NotMaskAttr>(mask)) {
    n.kind = NodeKind::Not;
    FailureOr<unsigned> c = compile(nt.getMask(), error);
    if (failed(c))
      return failure();
    n.children.push_back(*c);
  } else {
    // #attn.document, #attn.block_sparse, and any mask this analysis does not
    // know: reads runtime data (or unknown semantics), so Partial.
    n.kind = NodeKind::Runtime;
    n.isStatic = false;
  }
  if (!isLeaf(n.kind)) {
    n.isStatic = llvm::all_of(
        n.children, [&](unsigned c) { return nodes[c].isStatic; });
    n.composesExactly =
        n.children.size() == 1 && nodes[n.children.front()].composesExactly;
  }
  return add(std::move(n));
}

TileKind MaskClassifier::classifyNode(unsigned id, const Rect &r,
                                      bool refine) {
  Node &n = nodes[id];
  if (isLeaf(n.kind))
    return leafKind(n, r);
  // Children of a static composition are not refined one by one: the whole
  // composition is refined below if needed.
  bool refineChildren = refine && !n.isStatic;
  TileKind result;
  switch (n.kind) {
  case NodeKind::And: {
    result = TileKind::Full;
    for (unsigned c : n.children) {
      TileKind k = classifyNode(c, r, refineChildren);
      if (k == TileKind::Empty)
        return TileKind::Empty;
      if (k == TileKind::Partial)
        result = TileKind::Partial;
    }
    break;
  }
  case NodeKind::Or: {
    result = TileKind::Empty;
    for (unsigned c : n.children) {
      TileKind k = classifyNode(c, r, refineChildren);
      if (k == TileKind::Full)
        return TileKind::Full;
      if (k == TileKind::Partial)
        result = TileKind::Partial;
    }
    break;
  }
  case NodeKind::Not:
    result = negate(classifyNode(n.children.front(), r, refineChildren));
    break;
  default:
    llvm_unreachable("leaves handled above");
  }
  // A Partial composition may be inexact: refine it row by row (O(rows *
  // nodes)), enumerating the rows that stay Partial only for tiles within the
  // element bound.
  if (result == TileKind::Partial && refine && n.isStatic &&
      !n.composesExactly) {
    bool enumerate = r.area() <= options.maxBruteForceElements;
    if (enumerate || r.rows() > 1)
      return refineNode(id, r, enumerate);
  }
  return result;
}

TileKind MaskClassifier::refineNode(unsigned id, const Rect &r,
                                    bool enumerate) {
  bool sawKept = false, sawMasked = false;
  for (int64_t i = r.i0; i <= r.i1; ++i) {
    TileKind k = classifyNode(id, Rect{i, i, r.j0, r.j1}, false);
    if (k == TileKind::Full) {
      sawKept = true;
    } else if (k == TileKind::Empty) {
      sawMasked = true;
    } else if (!enumerate) {
      return TileKind::Partial; // sound: the row may be mixed
    } else {
      for (int64_t j = r.j0; j <= r.j1; ++j) {
        if (keep(id, i, j))
          sawKept = true;
        else
          sawMasked = true;
        if (sawKept && sawMasked)
          break;
      }
    }
    if (sawKept && sawMasked)
      return TileKind::Partial;
  }
  return sawKept ? TileKind::Full : TileKind::Empty;
}

TileKind MaskClassifier::leafKind(Node &n, const Rect &r) {
  int64_t p0 = r.i0 + offset, p1 = r.i1 + offset;
  switch (n.kind) {
  case NodeKind::Full:
    return TileKind::Full;
  case NodeKind::Causal: // j <= p
    return kindOf(r.j0 <= p1, r.j1 <= p0);
  case NodeKind::Window: { // -left <= j - p <= right
    int64_t lo = r.j0 - p1, hi = r.j1 - p0; // every value in between occurs
    return kindOf(hi >= -n.a && lo <= n.b, lo >= -n.a && hi <= n.b);
  }
  case NodeKind::Sinks: // j < count
    return kindOf(r.j0 < n.a, r.j1 < n.a);
  case NodeKind::Strided: { // (floor(j / block) - residue) mod stride == 0
    int64_t J0 = r.j0 / n.b, J1 = r.j1 / n.b;
    bool any = satAdd(J0, mathMod(n.c - J0, n.a)) <= J1;
    bool all = n.a == 1 || (J0 == J1 && mathMod(J0 - n.c, n.a) == 0);
    return kindOf(any, all);
  }
  case NodeKind::Dilated: { // (p - j) mod rate == 0
    int64_t lo = p0 - r.j1, hi = p1 - r.j0;
    bool any = floorDiv(hi, n.a) * n.a >= lo;
    bool all = n.a == 1 || (lo == hi && mathMod(lo, n.a) == 0);
    return kindOf(any, all);
  }
  case NodeKind::Chunked: { // floor(p / size) == floor(j / size)
    int64_t cp0 = floorDiv(p0, n.a), cp1 = floorDiv(p1, n.a);
    int64_t cj0 = floorDiv(r.j0, n.a), cj1 = floorDiv(r.j1, n.a);
    bool any = std::max(cp0, cj0) <= std::min(cp1, cj1);
    bool all = cp0 == cp1 && cj0 == cj1 && cp0 == cj0;
    return kindOf(any, all);
  }
  case NodeKind::PrefixLM: // j < prefix or j <= p
    return kindOf(r.j0 < n.a || r.j0 <= p1, r.j1 < n.a || r.j1 <= p0);
  case NodeKind::Neighborhood: {
    nbEnsureHull(n, r.i0, r.i1);
    if (r.j1 < n.hullLo || r.j0 > n.hullHi)
      return TileKind::Empty;
    bool any = false, all = true;
    int64_t width = r.cols();
    AxisSet sets[3];
    for (int64_t i = r.i0; i <= r.i1; ++i) {
      nbRowSets(n, i, sets);
      int64_t cnt = nbCountBelow(n, sets, r.j1 + 1) - nbCountBelow(n, sets, r.j0);
      any |= cnt > 0;
      all &= cnt == width;
      if (any && !all)
        break;
    }
    return kindOf(any, all);
  }
  case NodeKind::Runtime:
    return TileKind::Partial;
  default:
    llvm_unreachable("not a leaf");
  }
}

int64_t MaskClassifier::leafRowCount(const Node &n, int64_t i, int64_t j0,
                                     int64_t j1) {
  int64_t p = i + offset;
  switch (n.kind) {
  case NodeKind::Full:
    return j1 - j0 + 1;
  case NodeKind::Causal:
    return countIn(kMin, p, j0, j1);
  case NodeKind::Window:
    return countIn(satSub(p, n.a), satAdd(p, n.b), j0, j1);
  case NodeKind::Sinks:
    return countIn(kMin, n.a - 1, j0, j1);
  case NodeKind::Strided: {
    // #{j in [0, x) : floor(j / block) ≡ residue (mod stride)}.
    auto below = [&](int64_t x) -> __int128 {
      __int128 period = static_cast<__int128>(n.a) * n.b;
      __int128 full = x / period, rest = x % period;
      __int128 inLast = rest - static_cast<__int128>(n.c) * n.b;
      inLast = std::clamp<__int128>(inLast, 0, n.b);
      return full * n.b + inLast;
    };
    return static_cast<int64_t>(below(j1 + 1) - below(j0));
  }
  case NodeKind::Dilated:
    return countCongruent(j0, j1, mathMod(p, n.a), n.a);
  case NodeKind::Chunked: {
    int64_t start = floorDiv(p, n.a) * n.a;
    return countIn(start, satAdd(start, n.a - 1), j0, j1);
  }
  case NodeKind::PrefixLM:
    return countIn(kMin, std::max(n.a - 1, p), j0, j1);
  case NodeKind::Neighborhood: {
    AxisSet sets[3];
    nbRowSets(n, i, sets);
    return nbCountBelow(n, sets, j1 + 1) - nbCountBelow(n, sets, j0);
  }
  default:
    llvm_unreachable("not a static leaf");
  }
}

int64_t MaskClassifier::rowCount(unsigned id, int64_t i, int64_t j0,
                                 int64_t j1) {
  Node &n = nodes[id];
  if (isLeaf(n.kind))
    return leafRowCount(n, i, j0, j1);
  if (n.kind == NodeKind::Not)
    return (j1 - j0 + 1) - rowCount(n.children.front(), i, j0, j1);
  if (n.children.size() == 1)
    return rowCount(n.children.front(), i, j0, j1);
  TileKind k = classifyNode(id, Rect{i, i, j0, j1}, false);
  if (k == TileKind::Full)
    return j1 - j0 + 1;
  if (k == TileKind::Empty)
    return 0;
  int64_t total = 0;
  for (int64_t j = j0; j <= j1; ++j)
    total += keep(id, i, j);
  return total;
}

bool MaskClassifier::keep(unsigned id, int64_t i, int64_t j) {
  const Node &n = nodes[id];
  int64_t p = i + offset;
  switch (n.kind) {
  case NodeKind::Full:
    return true;
  case NodeKind::Causal:
    return j <= p;
  case NodeKind::Window:
    return j - p >= -n.a && j - p <= n.b;
  case NodeKind::Sinks:
    return j < n.a;
  case NodeKind::Strided:
    return mathMod(j / n.b - n.c, n.a) == 0;
  case NodeKind::Dilated:
    return mathMod(p - j, n.a) == 0;
  case NodeKind::Chunked:
    return floorDiv(p, n.a) == floorDiv(j, n.a);
  case NodeKind::PrefixLM:
    return j < n.a || j <= p;
  case NodeKind::Neighborhood:
    return nbKeep(n, i, j);
  case NodeKind::And:
    return llvm::all_of(n.children, [&](unsigned c) { return keep(c, i, j); });
  case NodeKind::Or:
    return llvm::any_of(n.children, [&](unsigned c) { return keep(c, i, j); });
  case NodeKind::Not:
    return !keep(n.children.front(), i, j);
  case NodeKind::Runtime:
    break;
  }
  llvm_unreachable("runtime masks are never enumerated");
}

void MaskClassifier::nbRowSets(const Node &n, int64_t i, AxisSet *sets) const {
  int64_t rest = i;
  for (int axis = static_cast<int>(n.axes.size()) - 1; axis >= 0; --axis) {
    const NbAxis &ax = n.axes[axis];
    int64_t x = rest % ax.n;
    rest /= ax.n;
    int64_t g = x % ax.d, xg = x / ax.d;
    int64_t length = (ax.n - g + ax.d - 1) / ax.d; // size of x's group
    // GNA stride: the window of the stride group's leader.
    int64_t leader = std::min<int64_t>(
        (xg / ax.s) * ax.s + (ax.causal ? ax.s - 1 : ax.s / 2), length - 1);
    int64_t lo, hi;
    if (ax.causal) {
      lo = std::max<int64_t>(0, leader - ax.k + 1);
      hi = xg;
    } else {
      lo = std::clamp<int64_t>(leader - ax.k / 2, 0,
                               std::max<int64_t>(length - ax.k, 0));
      hi = std::min(lo + ax.k - 1, length - 1);
    }
    sets[axis] = AxisSet{g, ax.d, lo, hi};
  }
}

int64_t MaskClassifier::nbCountBelow(const Node &n, const AxisSet *sets,
                                     int64_t J) const {
  unsigned rank = n.axes.size();
  if (J <= 0)
    return 0;
  if (J >= nq) {
    int64_t total = 1;
    for (unsigned a = 0; a < rank; ++a)
      total *= sets[a].size();
    return total;
  }
  // Row-major order is lexicographic on the coordinates (axis 0 slowest):
  // y < c iff for some axis a, y_b = c_b for b < a and y_a < c_a.
  int64_t coords[3];
  for (unsigned a = 0; a < rank; ++a)
    coords[a] = (J / n.flatStride[a]) % n.axes[a].n;
  int64_t suffix[4];
  suffix[rank] = 1;
  for (int a = static_cast<int>(rank) - 1; a >= 0; --a)
    suffix[a] = suffix[a + 1] * sets[a].size();
  int64_t total = 0;
  for (unsigned a = 0; a < rank; ++a) {
    total += sets[a].countBelow(coords[a]) * suffix[a + 1];
    if (!sets[a].contains(coords[a]))
      break;
  }
  return total;
}

bool MaskClassifier::nbKeep(const Node &n, int64_t i, int64_t j) const {
  AxisSet sets[3];
  nbRowSets(n, i, sets);
  for (unsigned a = 0; a < n.axes.size(); ++a)
    if (!sets[a].contains((j / n.flatStride[a]) % n.axes[a].n))
      return false;
  return true;
}

void MaskClassifier::nbEnsureHull(Node &n, int64_t i0, int64_t i1) {
  if (i0 >= n.hullRowLo && i1 <= n.hullRowHi)
    return;
  int64_t lo = kMax, hi = kMin;
  AxisSet sets[3];
  for (int64_t i = i0; i <= i1; ++i) {
    nbRowSets(n, i, sets);
    int64_t first = 0, last = 0;
    for (unsigned a = 0; a < n.axes.size(); ++a) {
      first += sets[a].first() * n.flatStride[a];
      last += sets[a].last() * n.flatStride[a];
    }
    lo = std::min(lo, first);
    hi = std::max(hi, last);
  }
  n.hullRowLo = i0;
  n.hullRowHi = i1;
  n.hullLo = lo;
  n.hullHi = hi;
}

//===----------------------------------------------------------------------===//
// Region masks: integer range inference over the tile's index intervals
//===----------------------------------------------------------------------===//

namespace {
class RegionClassifier {
public:
  RegionClassifier(Region &region, int64_t nq, int64_t nk) : nq(nq), nk(nk) {
    Block &block = region.front();
    auto addSlot = [&](Value v) {
      if (isa<IntegerType, IndexType>(v.getType()))
        slots.try_emplace(v, slots.size());
    };
    for (BlockArgument arg : block.getArguments())
      addSlot(arg);
    for (Operation &op : block.without_terminator()) {
      ops.push_back(&op);
      for (Value r : op.getResults())
        addSlot(r);
    }
    yielded = block.getTerminator()->getOperand(0);
    for (unsigned k = 0; k < 4; ++k)
      args[k] = block.getArgument(k);
    ranges.resize(slots.size());
  }

  /// Classification for b in [b0, b1], h = head, i in [i0, i1], j in [j0, j1].
  TileKind classify(int64_t b0, int64_t b1, int64_t head, const Rect &r) {
    for (IntegerValueRange &v : ranges)
      v = IntegerValueRange();
    setArg(0, b0, b1);
    setArg(1, head, head);
    setArg(2, r.i0, r.i1);
    setArg(3, r.j0, r.j1);
    llvm::SmallVector<IntegerValueRange, 4> argRanges;
    for (Operation *op : ops) {
      argRanges.clear();
      for (Value operand : op->getOperands())
        argRanges.push_back(rangeOf(operand));
      if (isa<QueryLengthOp, KeyLengthOp, AlignedQueryOp>(op)) {
        ranges[slots.lookup(op->getResult(0))] =
            regionContextRange(op, argRanges);
      } else if (auto infer = dyn_cast<InferIntRangeInterface>(op)) {
        infer.inferResultRangesFromOptional(
            argRanges, [&](Value v, const IntegerValueRange &range) {
              auto it = slots.find(v);
              if (it != slots.end())
                ranges[it->second] = range;
            });
      }
      // Integer results the op did not bound (or ops without the interface,
      // e.g. tensor.extract, fptosi, cmpf) may be anything.
      for (Value res : op->getResults()) {
        auto it = slots.find(res);
        if (it != slots.end() && ranges[it->second].isUninitialized())
          ranges[it->second] = IntegerValueRange::getMaxRange(res);
      }
    }
    IntegerValueRange result = rangeOf(yielded);
    if (result.isUninitialized())
      return TileKind::Partial;
    const ConstantIntRanges &cr = result.getValue();
    // i1: true is 1 unsigned and -1 signed; both views are sound bounds.
    if (cr.umin().isOne() || cr.smax().isNegative())
      return TileKind::Full;
    if (cr.umax().isZero() || cr.smin().isNonNegative())
      return TileKind::Empty;
    return TileKind::Partial;
  }

private:
  /// The lengths are the problem's; the aligned position shifts the query
  /// index's range by Nk - Nq (max range where that overflows).
  IntegerValueRange
  regionContextRange(Operation *op,
                     llvm::ArrayRef<IntegerValueRange> operands) const {
    unsigned width = ConstantIntRanges::getStorageBitwidth(
        op->getResult(0).getType());
    auto exactly = [&](int64_t v) {
      return IntegerValueRange(
          ConstantIntRanges::constant(APInt(width, v, /*isSigned=*/true)));
    };
    if (isa<QueryLengthOp>(op))
      return exactly(nq);
    if (isa<KeyLengthOp>(op))
      return exactly(nk);
    const IntegerValueRange &i = operands[0];
    if (i.isUninitialized())
      return IntegerValueRange::getMaxRange(op->getResult(0));
    int64_t lo = i.getValue().smin().getSExtValue(),
            hi = i.getValue().smax().getSExtValue(), shiftedLo, shiftedHi;
    if (__builtin_add_overflow(lo, nk - nq, &shiftedLo) ||
        __builtin_add_overflow(hi, nk - nq, &shiftedHi))
      return IntegerValueRange::getMaxRange(op->getResult(0));
    return IntegerValueRange(ConstantIntRanges::fromSigned(
        APInt(width, shiftedLo, /*isSigned=*/true),
        APInt(width, shiftedHi, /*isSigned=*/true)));
  }

  void setArg(unsigned k, int64_t lo, int64_t hi) {
    unsigned width = ConstantIntRanges::getStorageBitwidth(args[k].getType());
    ranges[slots.lookup(args[k])] = IntegerValueRange(
        ConstantIntRanges::fromSigned(APInt(width, lo, /*isSigned=*/true),
                                      APInt(width, hi, /*isSigned=*/true)));
  }
  IntegerValueRange rangeOf(Value v) {
    auto it = slots.find(v);
    if (it == slots.end())
      return IntegerValueRange(); // not an integer: no range
    if (ranges[it->second].isUninitialized())
      return IntegerValueRange::getMaxRange(v);
    return ranges[it->second];
  }

  int64_t nq, nk;
  llvm::SmallVector<Operation *> ops;
  llvm::DenseMap<Value, unsigned> slots;
  std::vector<IntegerValueRange> ranges;
  Value yielded;
  Value args[4];
};
} // namespace

//===----------------------------------------------------------------------===//
// BlockMap
//===----------------------------------------------------------------------===//

char attn::getTileKindChar(TileKind kind) {
  switch (kind) {
  case TileKind::Empty:
    return '.';
  case TileKind::Full:
    return '#';
  case TileKind::Partial:
    return '+';
  }
  llvm_unreachable("bad tile kind");
}

int64_t BlockMap::qTileEnd(int64_t qTile) const {
  return std::min(nq, (qTile + 1) * tiles.q);
}
int64_t BlockMap::kvTileEnd(int64_t kvTile) const {
  return std::min(nk, (kvTile + 1) * tiles.kv);
}
int64_t BlockMap::tileArea(int64_t qTile, int64_t kvTile) const {
  return (qTileEnd(qTile) - qTileBegin(qTile)) *
         (kvTileEnd(kvTile) - kvTileBegin(kvTile));
}

TileKind BlockMap::at(int64_t qTile, int64_t kvTile) const {
  assert(qTile >= 0 && qTile < qTiles && kvTile >= 0 && kvTile < kvTiles);
  return kinds[qTile * kvTiles + kvTile];
}

llvm::ArrayRef<TileEntry> BlockMap::nonEmptyKvTiles(int64_t qTile) const {
  assert(qTile >= 0 && qTile < qTiles);
  return llvm::ArrayRef<TileEntry>(entries).slice(
      rowStart[qTile], rowStart[qTile + 1] - rowStart[qTile]);
}

std::optional<int64_t> BlockMap::keptCount(int64_t qTile,
                                           int64_t kvTile) const {
  TileKind k = at(qTile, kvTile);
  if (k == TileKind::Empty)
    return 0;
  if (k == TileKind::Full)
    return tileArea(qTile, kvTile);
  llvm::ArrayRef<TileEntry> row = nonEmptyKvTiles(qTile);
  auto it = llvm::lower_bound(row, kvTile, [](const TileEntry &e, int64_t t) {
    return e.kvTile < t;
  });
  size_t index = rowStart[qTile] + (it - row.begin());
  if (!keptExact[index])
    return std::nullopt;
  return kept[index];
}

int64_t BlockMap::count(TileKind kind) const {
  return llvm::count(kinds, kind);
}

double BlockMap::density() const {
  if (nq == 0 || nk == 0)
    return 0.0;
  long double total = 0;
  for (int64_t v : kept)
    total += v;
  return static_cast<double>(total / (static_cast<long double>(nq) * nk));
}

bool BlockMap::isDensityExact() const {
  return llvm::all_of(keptExact, [](bool b) { return b; });
}

bool BlockMap::sameKinds(const BlockMap &other) const {
  return nq == other.nq && nk == other.nk && tiles.q == other.tiles.q &&
         tiles.kv == other.tiles.kv && kinds == other.kinds;
}

void BlockMap::print(llvm::raw_ostream &os) const {
  for (int64_t t = 0; t < qTiles; ++t) {
    for (int64_t u = 0; u < kvTiles; ++u)
      os << getTileKindChar(at(t, u));
    os << "\n";
  }
}

//===----------------------------------------------------------------------===//
// Head invariance
//===----------------------------------------------------------------------===//

static bool isMaskHeadInvariant(MaskAttrInterface mask) {
  if (auto s = dyn_cast<StridedMaskAttr>(mask))
    return mathMod(s.getHeadStep(), s.getStride()) == 0;
  if (auto a = dyn_cast<AndMaskAttr>(mask))
    return llvm::all_of(a.getMasks(), isMaskHeadInvariant);
  if (auto o = dyn_cast<OrMaskAttr>(mask))
    return llvm::all_of(o.getMasks(), isMaskHeadInvariant);
  if (auto n = dyn_cast<NotMaskAttr>(mask))
    return isMaskHeadInvariant(n.getMask());
  if (auto ph = dyn_cast<PerHeadMaskAttr>(mask)) {
    MaskAttrInterface first = ph.getMaskForHead(0);
    for (int64_t h = 1, e = ph.getNumHeads(); h < e; ++h)
      if (ph.getMaskForHead(h) != first)
        return false;
    return isMaskHeadInvariant(first);
  }
  return true;
}

bool attn::isHeadInvariant(AttentionOp op) {
  return isHeadInvariant(cast<ScoreSpecOpInterface>(op.getOperation()));
}

bool attn::isHeadInvariant(ScoreSpecOpInterface spec) {
  if (MaskAttrInterface mask = spec.getMaskAttr())
    if (!isMaskHeadInvariant(mask))
      return false;
  Region *region = spec.getMaskFnRegion();
  if (region && !region->empty() && region->front().getNumArguments() > 1 &&
      !region->front().getArgument(1).use_empty())
    return false;
  return true;
}

//===----------------------------------------------------------------------===//
// classifyBlocks
//===----------------------------------------------------------------------===//

namespace attn {
class BlockMapBuilder {
public:
  static BlockMap init(int64_t nq, int64_t nk, int64_t head, TileSizes tiles,
                       int64_t qTiles, int64_t kvTiles) {
    BlockMap map;
    map.nq = nq;
    map.nk = nk;
    map.head = head;
    map.tiles = tiles;
    map.qTiles = qTiles;
    map.kvTiles = kvTiles;
    map.kinds.assign(qTiles * kvTiles, TileKind::Empty);
    map.rowStart.reserve(qTiles + 1);
    map.rowStart.push_back(0);
    return map;
  }
  static void set(BlockMap &map, int64_t t, int64_t u, TileKind kind,
                  int64_t kept, bool exact) {
    map.kinds[t * map.kvTiles + u] = kind;
    if (kind == TileKind::Empty)
      return;
    map.entries.push_back(TileEntry{u, kind});
    map.kept.push_back(kept);
    map.keptExact.push_back(exact);
  }
  static void endRow(BlockMap &map) {
    map.rowStart.push_back(map.entries.size());
  }
};
} // namespace attn

FailureOr<BlockMap> attn::classifyBlocks(AttentionOp op, int64_t head,
                                         const ClassificationProblem &problem,
                                         TileSizes tiles,
                                         const ClassificationOptions &options) {
  return classifyBlocks(cast<ScoreSpecOpInterface>(op.getOperation()),
                        cast<RankedTensorType>(op.getQuery().getType()),
                        cast<RankedTensorType>(op.getKey().getType()), head,
                        problem, tiles, options);
}

FailureOr<BlockMap> attn::classifyBlocks(ScoreSpecOpInterface op,
                                         RankedTensorType qType,
                                         RankedTensorType kType, int64_t head,
                                         const ClassificationProblem &problem,
                                         TileSizes tiles,
                                         const ClassificationOptions &options) {
  auto fail = [&](const llvm::Twine &message) -> FailureOr<BlockMap> {
    op->emitError() << "block classification: " << message;
    return failure();
  };
  int64_t nq = problem.nq, nk = problem.nk;
  if (tiles.q < 1 || tiles.kv < 1)
    return fail("tile sizes must be positive, got " + llvm::Twine(tiles.q) +
                " x " + llvm::Twine(tiles.kv));
  if (nq < 0 || nk < 0 || problem.numHeads < 1)
    return fail("invalid problem: " + llvm::Twine(problem.numHeads) +
                " heads, Nq = " + llvm::Twine(nq) + ", Nk = " +
                llvm::Twine(nk));
  if (head < 0 || head >= problem.numHeads)
    return fail("head " + llvm::Twine(head) + " is outside [0, " +
                llvm::Twine(problem.numHeads) + ")");
  int64_t area;
  if (__builtin_mul_overflow(nq, nk, &area))
    return fail("Nq * Nk overflows");
  struct {
    int64_t actual, given;
    const char *what;
  } checks[] = {{qType.getDimSize(1), problem.numHeads, "query heads"},
                {qType.getDimSize(2), nq, "query length"},
                {kType.getDimSize(2), nk, "key length"},
                {qType.getDimSize(0), problem.batch, "batch"}};
  for (auto &c : checks)
    if (!ShapedType::isDynamic(c.actual) && c.given >= 0 &&
        c.actual != c.given)
      return fail(llvm::Twine("the problem's ") + c.what + " (" +
                  llvm::Twine(c.given) + ") contradicts the op's static " +
                  c.what + " (" + llvm::Twine(c.actual) + ")");
  int64_t qTiles = (nq + tiles.q - 1) / tiles.q;
  int64_t kvTiles = (nk + tiles.kv - 1) / tiles.kv;
  if (nq > 0 && nk > 0 && qTiles > (int64_t(1) << 30) / kvTiles)
    return fail("too many tiles (" + llvm::Twine(qTiles) + " x " +
                llvm::Twine(kvTiles) + ")");

  std::optional<MaskClassifier> masks;
  if (MaskAttrInterface mask = op.getMaskAttr()) {
    if (auto ph = dyn_cast<PerHeadMaskAttr>(mask);
        ph && ph.getNumHeads() != problem.numHeads)
      return fail("#attn.per_head describes " + llvm::Twine(ph.getNumHeads()) +
                  " heads but the problem has " +
                  llvm::Twine(problem.numHeads));
    // Nested per_head masks are checked too.
    std::string error;
    llvm::SmallVector<MaskAttrInterface> work{mask};
    while (!work.empty()) {
      MaskAttrInterface m = work.pop_back_val();
      if (auto ph = dyn_cast<PerHeadMaskAttr>(m)) {
        if (ph.getNumHeads() != problem.numHeads)
          return fail("#attn.per_head describes " +
                      llvm::Twine(ph.getNumHeads()) +
                      " heads but the problem has " +
                      llvm::Twine(problem.numHeads));
        for (Attribute a : ph.getMasks())
          work.push_back(cast<MaskAttrInterface>(a));
      } else if (auto a = dyn_cast<AndMaskAttr>(m)) {
        llvm::append_range(work, a.getMasks());
      } else if (auto o = dyn_cast<OrMaskAttr>(m)) {
        llvm::append_range(work, o.getMasks());
      } else if (auto n = dyn_cast<NotMaskAttr>(m)) {
        work.push_back(n.getMask());
      }
    }
    masks.emplace(nq, nk, head, options);
    if (failed(masks->build(mask, error)))
      return fail(error);
  }

  std::optional<RegionClassifier> region;
  std::optional<TileKind> regionEverywhere;
  int64_t b0 = 0, b1 = problem.batch > 0 ? problem.batch - 1 : kMax;
  Region *maskFn = op.getMaskFnRegion();
  if (maskFn && !maskFn->empty() && nq > 0 && nk > 0) {
    region.emplace(*maskFn, nq, nk);
    // If the region is decided over the whole matrix it is decided on every
    // tile.
    TileKind whole = region->classify(b0, b1, head, Rect{0, nq - 1, 0, nk - 1});
    if (whole != TileKind::Partial)
      regionEverywhere = whole;
  }

  BlockMap map =
      BlockMapBuilder::init(nq, nk, head, tiles, qTiles, kvTiles);
  for (int64_t t = 0; t < qTiles; ++t) {
    for (int64_t u = 0; u < kvTiles; ++u) {
      Rect r{t * tiles.q, std::min(nq, (t + 1) * tiles.q) - 1, u * tiles.kv,
             std::min(nk, (u + 1) * tiles.kv) - 1};
      TileKind attrKind = masks ? masks->classify(r) : TileKind::Full;
      if (attrKind == TileKind::Empty) {
        BlockMapBuilder::set(map, t, u, TileKind::Empty, 0, true);
        continue;
      }
      TileKind regionKind = TileKind::Full;
      if (region)
        regionKind = regionEverywhere ? *regionEverywhere
                                      : region->classify(b0, b1, head, r);
      TileKind kind = conjoin(attrKind, regionKind);
      int64_t kept = kind == TileKind::Empty ? 0 : r.area();
      bool exact = kind != TileKind::Partial;
      if (kind == TileKind::Partial && attrKind == TileKind::Partial) {
        if (std::optional<int64_t> c = masks->count(r)) {
          kept = *c;
          exact = regionKind == TileKind::Full;
        }
      }
      BlockMapBuilder::set(map, t, u, kind, kept, exact);
    }
    BlockMapBuilder::endRow(map);
  }
  return map;
}
