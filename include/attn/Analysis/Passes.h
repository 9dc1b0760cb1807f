//===- Passes.h - attn analysis test passes --------------------*- C++ -*-===//
#ifndef ATTN_ANALYSIS_PASSES_H
#define ATTN_ANALYSIS_PASSES_H

namespace attn {

/// Registers the analysis test passes (test-attn-block-map) with the global
/// pass registry. The passes are declared in include/attn/Analysis/Passes.td;
/// their generated code is private to lib/Analysis.
void registerAttnAnalysisTestPasses();

} // namespace attn

#endif // ATTN_ANALYSIS_PASSES_H
