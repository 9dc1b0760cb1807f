//===- AttnBase.td - attn dialect definition ---------------*- tablegen -*-===//
#ifndef ATTN_BASE_TD
#define ATTN_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::attn";
  let summary = "Declarative specifications of attention variants";
  let description = [{
    The `attn` dialect describes an attention computation by *what* it
    computes: the mask (which query/key pairs interact), the score
    modifications (softcapping, ALiBi, biases, any elementwise formula), the
    normalization (softmax, sigmoid, softplus, relu, identity, each with an
    optional l1 re-normalization) and the head structure (GQA/MQA from the
    head counts of the operand shapes, per-head mask configurations).
    Tiles, threads and registers are the compiler's business.

    Conventions shared by every op and attribute:

    * Layout is `[batch, heads, seq, head_dim]`: Q is `[B, Hq, Nq, D]`, K is
      `[B, Hkv, Nk, D]`, V is `[B, Hkv, Nk, Dv]`, the output `[B, Hq, Nq, Dv]`.
      Query head `h` reads key/value head `h / (Hq / Hkv)`.
    * Index conventions: see the section below (attribute masks align the
      query to the bottom-right, regions see raw indices).
    * Scores are `s = scale * q.k` (default `scale = 1/sqrt(D)`), then the
      additive bias operand, then `score_mods` in order, then the
      `score_mod` region.
    * A score of `-inf` (from a bias entry, a `score_mod`, an overflow) is a
      masked score under every normalization: its weight is 0 (softmax's
      `exp(-inf)`, the limit of sigmoid, softplus and relu, and 0 by
      definition for `identity`) and it does not enter the logsumexp.
      `weight_mod` still sees the pair (with `w = 0`): only the mask decides
      which pairs exist.
    * A query row whose keys are all masked (or all score `-inf`) produces 0
      (never NaN) and a logsumexp of `-inf`.
    * Other non-finite values propagate to the rows that use them: a NaN
      score (from a NaN in Q or K, a bias, a region) makes its whole row NaN
      (softmax) or its weight NaN; a NaN or infinity in a value row reaches
      the outputs of
      the queries that keep that key. Comparisons (`attn-run --check`,
      `attn_opt.compare`) accept NaN where the reference is NaN and an
      infinity where it is the same infinity. A key the mask excludes
      never reads its value row: the reference skips it, and so do the
      untiled lowering and the tile program (`attn_tile.accumulate ...
      excluding`, the semantics every back end ported onto the tile program
      inherits: the CPU vector kernels and the GPU kernel take a key tile
      whose values hold an infinity or NaN through a per-pair select;
      `ExcludedValuesTest`, `GPUExcludedValuesTest`).

    ### Index conventions

    Query `i` runs over `[0, Nq)` and key `j` over `[0, Nk)`. When
    `Nq != Nk` (a decode step `Nq = 1` against a cache of `Nk` keys, a
    chunk of a prefill, cross-attention), "query `i`" can be placed in two
    ways:

    * **bottom-right** (the last query is aligned with the last key): the
      query sits at the *aligned position* `p = i + Nk - Nq`. Every attribute
      mask and score modification that compares positions uses `p`:
      `#attn.causal` (`j <= p`), `#attn.window`, `#attn.prefix_lm`,
      `#attn.chunked`, `#attn.dilated` and `#attn.alibi` (`|p - j|`). This is
      FlashAttention-2's convention: a causal decode step sees the whole
      cache.
    * **top-left** (the first query is aligned with the first key): the raw
      index `i`. Regions (`mask_fn`, `score_mod`, `weight_mod`) receive raw
      indices, as do the index-based masks `#attn.block_sparse`,
      `#attn.neighborhood`, `#attn.document` and `#attn.strided` (which
      reads only `j` and `h`), FlexAttention's `mask_mod(b, h, q_idx,
      kv_idx)` convention.

    Inside a region, `attn.aligned_query %i` gives `p`, and
    `attn.query_length` / `attn.key_length` give `Nq` and `Nk`, so a region
    can use either convention and stay shape-generic. With `Nq = 3`,
    `Nk = 5` (`p = i + 2`):

    ```mlir
    // keep j <= p: the same mask as #attn.causal      keeps (i: j)
    mask_fn {                                       //  0: 0 1 2
    ^bb0(%b: index, %h: index, %i: index, %j: index)://  1: 0 1 2 3
      %p = attn.aligned_query %i : index            //  2: 0 1 2 3 4
      %ok = arith.cmpi sle, %j, %p : index
      attn.yield %ok : i1
    }
    // keep j <= i (top-left): a different mask     //  0: 0
    //                                              //  1: 0 1
    //                                              //  2: 0 1 2
    ```

    The Python front end names both: `ao.bottom_right(q)` and
    `ao.top_left(q)` inside a traced function, with `ao.query_length()` and
    `ao.key_length()`.

    ### Attribute syntax

    Every attribute parameter can be written as `name = value`
    (`#attn.window<left = 3, right = 0>`, `#attn.prefix_lm<prefix = 37>`,
    `#attn.sinks<count = 4>`, `#attn.softcap<cap = 50.0>`,
    `#attn.normalize<kind = sigmoid, bias = -1.0>`); the
    one-parameter attributes also take the short form (`#attn.prefix_lm<37>`),
    which is how they are printed.
  }];
  // The dialect's attribute parser bounds the nesting depth (a mask nested
  // thousands of levels deep would overflow the parser's stack).
  let useDefaultAttributePrinterParser = 0;
  let extraClassDeclaration = [{
    ::mlir::Attribute parseAttribute(::mlir::DialectAsmParser &parser,
                                     ::mlir::Type type) const override;
    void printAttribute(::mlir::Attribute attr,
                        ::mlir::DialectAsmPrinter &printer) const override;
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

class Attn_Attr<string name, string attrMnemonic, list<Trait> traits = [],
                string baseCppClass = "::mlir::Attribute">
    : AttrDef<Attn_Dialect, name, traits, baseCppClass> {
  let mnemonic = attrMnemonic;
}

#endif // ATTN_BASE_TD
