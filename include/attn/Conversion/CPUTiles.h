//===- CPUTiles.h - the tile sizes of convert-attn-to-cpu -------*- C++ -*-===//
//
// What convert-attn-to-cpu does with requested tile sizes, for the layers
// that validate or report them (the JIT, the tools, the Python package)
// without the pass's headers.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_CPUTILES_H
#define ATTN_CONVERSION_CPUTILES_H

#include <cstdint>

namespace attn {

/// The query tile convert-attn-to-cpu uses for a requested `tileQ` (0: four
/// vectors) at `vectorWidth` f32 lanes: a whole number of vectors, so a tile
/// that the width does not divide is rounded up (the rows past the sequence
/// end are computed and never stored, as in any last tile).
int64_t cpuQueryTile(int64_t tileQ, int64_t vectorWidth);

/// The largest tiles convert-attn-to-cpu takes: the S tile of the biggest
/// is 16 MiB per worker thread.
constexpr int64_t kMaxCPUTileQ = 1024;
constexpr int64_t kMaxCPUTileKv = 4096;

} // namespace attn

#endif // ATTN_CONVERSION_CPUTILES_H
