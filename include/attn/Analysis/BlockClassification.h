//===- BlockClassification.h - empty/full/partial tiles of a mask -*- C++ -*-===//
//
// Block classification: for one query head of an `attn.attention` op, concrete
// sequence lengths and tile sizes, every (q-tile, kv-tile) pair of the score
// matrix is classified as
//
//   * Empty:   the mask keeps no element of the tile (the tile can be skipped),
//   * Full:    the mask keeps every element (no mask code is needed),
//   * Partial: anything else, or not known to be Empty/Full.
//
// The analysis is *sound*: Empty and Full are only ever reported when they are
// true. It is *exact* (Partial only for really mixed tiles) for every mask
// attribute that does not read runtime operands; see docs/analysis.md for the
// precise guarantees and costs.
//
// Tiles partition the score matrix of one head: q-tile `t` covers the query
// rows [t * q, min((t + 1) * q, Nq)), kv-tile `u` the keys
// [u * kv, min((u + 1) * kv, Nk)); the last tile of each axis may be short.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_ANALYSIS_BLOCKCLASSIFICATION_H
#define ATTN_ANALYSIS_BLOCKCLASSIFICATION_H

#include "attn/Dialect/Attn/AttnDialect.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace attn {

/// The class of one (q-tile, kv-tile) pair.
enum class TileKind : uint8_t { Empty = 0, Full = 1, Partial = 2 };

/// '.' for Empty, '#' for Full, '+' for Partial.
char getTileKindChar(TileKind kind);

/// Tile extents along the query and the key axis (both >= 1).
struct TileSizes {
  int64_t q, kv;
};

/// The concrete extents the op is classified for (specs are specialized to
/// static shapes before compiling). Where the op's types have static extents
/// they must agree with these.
struct ClassificationProblem {
  /// Query heads (Hq), query length (Nq), key length (Nk).
  int64_t numHeads, nq, nk;
  /// Batch size; only region masks read the batch index. A negative value
  /// means unknown: `b` is then only known to be non-negative.
  int64_t batch = -1;
};

/// Knobs of the analysis; the defaults are what the tiling pass should use.
struct ClassificationOptions {
  /// A Partial result of an `and`/`or`/`not` composition is refined row by
  /// row (each row classified by composition, O(rows * nodes)); in tiles
  /// with at most this many elements the rows that stay Partial are
  /// enumerated element by element, which makes attribute masks exact.
  /// Larger tiles with such a row keep the sound Partial. 0 disables the
  /// enumeration (not the row pass).
  int64_t maxBruteForceElements = 65536;
  /// Also count the kept elements of Partial tiles of compositions exactly
  /// (within the same element bound), for `BlockMap::density`. Costs up to
  /// O(tile area) per Partial tile instead of stopping at the first kept and
  /// the first masked element. Single attribute masks always get exact
  /// counts (O(rows) per Partial tile, closed form per row).
  bool exactCountsForCompositions = false;
};

/// One entry of the compressed tile list of a q-tile.
struct TileEntry {
  int64_t kvTile;
  TileKind kind;
};

/// The classification of every (q-tile, kv-tile) pair of one head.
class BlockMap {
public:
  BlockMap() = default;

  int64_t numQTiles() const { return qTiles; }
  int64_t numKvTiles() const { return kvTiles; }
  TileSizes getTileSizes() const { return tiles; }
  int64_t getNq() const { return nq; }
  int64_t getNk() const { return nk; }
  /// The query head this map was computed for.
  int64_t getHead() const { return head; }

  /// First and one-past-last query row / key of a tile.
  int64_t qTileBegin(int64_t qTile) const { return qTile * tiles.q; }
  int64_t qTileEnd(int64_t qTile) const;
  int64_t kvTileBegin(int64_t kvTile) const { return kvTile * tiles.kv; }
  int64_t kvTileEnd(int64_t kvTile) const;
  /// Number of (q, kv) elements of a tile.
  int64_t tileArea(int64_t qTile, int64_t kvTile) const;

  /// The class of one tile (O(1)).
  TileKind at(int64_t qTile, int64_t kvTile) const;

  /// The compressed tile list of a q-tile: its non-empty kv-tiles in
  /// increasing order, with their kind.
  llvm::ArrayRef<TileEntry> nonEmptyKvTiles(int64_t qTile) const;

  /// The exact number of kept elements of a tile when known: always for
  /// Empty (0) and Full (area); for Partial tiles see `density`.
  std::optional<int64_t> keptCount(int64_t qTile, int64_t kvTile) const;

  /// Number of tiles of a kind.
  int64_t count(TileKind kind) const;

  /// Fraction of the Nq x Nk (q, kv) elements of this head that are kept.
  /// Empty and Full tiles count exactly. A Partial tile counts by its exact
  /// kept count when the analysis knows it (single attribute masks always;
  /// compositions with `exactCountsForCompositions` within the brute-force
  /// bound; never tiles left Partial by a region mask or a runtime mask),
  /// otherwise by an upper bound (the kept count of the attribute mask alone
  /// when known, else the tile's area). So this is an upper bound of the true
  /// density, exact when `isDensityExact()`. 0 when Nq * Nk = 0.
  double density() const;
  bool isDensityExact() const;

  /// Same extents, tiles and kinds (the head and counts are not compared).
  bool sameKinds(const BlockMap &other) const;

  /// Prints one line per q-tile, one character per kv-tile (see
  /// getTileKindChar).
  void print(llvm::raw_ostream &os) const;

private:
  friend class BlockMapBuilder;

  int64_t nq = 0, nk = 0, head = 0;
  TileSizes tiles{1, 1};
  int64_t qTiles = 0, kvTiles = 0;
  /// Dense kinds, row-major [qTiles x kvTiles].
  std::vector<TileKind> kinds;
  /// Compressed rows: entries[rowStart[t] .. rowStart[t + 1]).
  std::vector<int64_t> rowStart;
  std::vector<TileEntry> entries;
  /// Per entry: kept count (exact or an upper bound) and whether it is exact.
  std::vector<int64_t> kept;
  std::vector<bool> keptExact;
};

/// Whether `classifyBlocks` gives the same map for every query head: no
/// `#attn.per_head` selecting different masks, no `#attn.strided` whose
/// per-head offset changes with the head (head_step not a multiple of the
/// stride), and no `mask_fn` region that reads its head argument. (Runtime
/// masks, whose classification does not depend on the head, do not break
/// invariance.)
bool isHeadInvariant(AttentionOp op);
/// The same for the mask of any op carrying one (attn.attention, or the
/// `attn_tile.mask` of a tile program).
bool isHeadInvariant(ScoreSpecOpInterface spec);

/// Classifies the tiles of query head `head` for the op's `mask` attribute
/// AND-ed with its `mask_fn` region.
///
/// * Mask attributes are classified in closed form per tile, exactly; the
///   neighborhood mask by an exact per-row count (O(rows * rank) per tile
///   near the diagonal band, O(1) elsewhere); `and`/`or`/`not` compose the
///   children's classes soundly and a Partial composition is refined row by
///   row, then by a bounded enumeration (see ClassificationOptions), so that
///   attribute masks are exact for tiles within the bound.
/// * `#attn.document` and `#attn.block_sparse` read runtime operands: they
///   classify as Partial on every tile (sound); a composition can still make
///   a tile Empty/Full (e.g. `and<[causal, document]>` above the diagonal).
/// * The `mask_fn` region is classified by integer range inference
///   (InferIntRangeInterface) over the tile's index intervals: sound, not
///   exact (Partial whenever the ranges cannot decide).
///
/// Fails (with an error on the op) when the problem is inconsistent: tile
/// sizes < 1, negative lengths, `head` outside [0, numHeads), extents that
/// contradict the op's static shapes or a mask (per_head head count,
/// neighborhood grid and Nq == Nk), Nq * Nk overflowing int64, or more than
/// 2^30 tiles.
llvm::FailureOr<BlockMap>
classifyBlocks(AttentionOp op, int64_t head, const ClassificationProblem &problem,
               TileSizes tiles, const ClassificationOptions &options = {});
/// The same for the mask of `spec` (attn.attention, or the `attn_tile.mask`
/// of a tile program) on queries and keys of types `query` and `key`
/// ([B, H, N, D]; their static extents are checked against the problem).
llvm::FailureOr<BlockMap>
classifyBlocks(ScoreSpecOpInterface spec, mlir::RankedTensorType query,
               mlir::RankedTensorType key, int64_t head,
               const ClassificationProblem &problem, TileSizes tiles,
               const ClassificationOptions &options = {});

} // namespace attn

#endif // ATTN_ANALYSIS_BLOCKCLASSIFICATION_H
