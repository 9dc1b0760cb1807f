//===- TileProgramLimits.h - bounds on the tile program's options -*- C++ -*-===//
//
// One place for the bounds of attn-to-tile's options, checked by the pass,
// the JIT and the Python package before anything is compiled or allocated:
// a tile program holds a tile_q x tile_kv score tile (and its weights) per
// work item, so the product is bounded too.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TRANSFORMS_TILEPROGRAMLIMITS_H
#define ATTN_TRANSFORMS_TILEPROGRAMLIMITS_H

#include <cstdint>
#include <string>

namespace attn {

constexpr int64_t kMaxTileProgramTile = 4096;
/// Score-tile elements (4 MiB of f32).
constexpr int64_t kMaxTileProgramScores = int64_t(1) << 20;
constexpr int64_t kMaxTileProgramSplits = 4096;
/// split-kv = 0 (automatic) aims at this many work items in the first phase
/// (enough for the threads of a many-core host), with at least
/// kMinTilesPerSplit key tiles per split (a split must outweigh its merge).
constexpr int64_t kSplitKvTargetItems = 64;
constexpr int64_t kMinTilesPerSplit = 4;
/// A chunk's C x C score tile obeys the score-tile bound.
constexpr int64_t kMaxLinearChunk = 1024;

/// An empty string when the options are valid, else why not.
inline std::string checkTileProgramOptions(int64_t tileQ, int64_t tileKv,
                                           int64_t splitKv,
                                           int64_t linearChunk = 64) {
  if (tileQ < 1 || tileKv < 1 || tileQ > kMaxTileProgramTile ||
      tileKv > kMaxTileProgramTile)
    return "tile-program tiles must be in [1, " +
           std::to_string(kMaxTileProgramTile) + "], got tile-q " +
           std::to_string(tileQ) + ", tile-kv " + std::to_string(tileKv);
  if (tileQ * tileKv > kMaxTileProgramScores)
    return "tile-program score tiles hold at most " +
           std::to_string(kMaxTileProgramScores) + " elements, got tile-q " +
           std::to_string(tileQ) + " x tile-kv " + std::to_string(tileKv);
  if (splitKv < 0 || splitKv > kMaxTileProgramSplits)
    return "split-kv must be in [0, " + std::to_string(kMaxTileProgramSplits) +
           "] (0: automatic), got " + std::to_string(splitKv);
  if (linearChunk < 0 || linearChunk > kMaxLinearChunk)
    return "linear-chunk must be in [0, " + std::to_string(kMaxLinearChunk) +
           "] (0: the quadratic form), got " + std::to_string(linearChunk);
  return "";
}

} // namespace attn

#endif // ATTN_TRANSFORMS_TILEPROGRAMLIMITS_H
