//===- SourceNesting.h - refuse sources nested too deep to parse -*- C++ -*-===//
//
// MLIR's parser recurses once per nested bracket (`[[[...]]]` arrays,
// dictionaries, parenthesized lists, `<...>` attributes and types) and has
// no depth limit, so a few thousand levels overflow the stack of the thread
// that parses (a SIGSEGV, found by fuzzing: fuzz/findings/README.md). The
// attn dialect's own attributes stop at 128 levels, but arrays and the
// other builtin forms are upstream's. Every entry point that parses a spec
// scans its text first and refuses one nested deeper than the bound.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_SUPPORT_SOURCENESTING_H
#define ATTN_SUPPORT_SOURCENESTING_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace attn {

/// Brackets nested deeper than this are refused: far above any spec (the
/// attn attributes stop at 128) and far below the depth that overflows an
/// 8 MiB stack (about 8000 levels of arrays in a release build, 7000 under
/// AddressSanitizer).
constexpr unsigned kMaxSourceNesting = 1024;

/// A position in a source, 1-based.
struct SourcePosition {
  unsigned line, column;
};

/// The position of the first bracket of `text` (`(`, `[`, `{` or `<`) that
/// opens a level deeper than `maxDepth`, counting outside string literals
/// and `//` comments; std::nullopt when there is none. A closing bracket
/// closes the innermost open one; `>` closes only a `<` (and never in `->`),
/// so comparisons and arrows do not count.
std::optional<SourcePosition>
findExcessiveNesting(llvm::StringRef text,
                     unsigned maxDepth = kMaxSourceNesting);

/// The error for such a source (without its location).
std::string excessiveNestingMessage(unsigned maxDepth = kMaxSourceNesting);

} // namespace attn

#endif // ATTN_SUPPORT_SOURCENESTING_H
