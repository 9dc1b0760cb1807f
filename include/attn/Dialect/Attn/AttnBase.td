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
    * Positional masks compare the key index `j` with the *aligned* query
      position `p = i + (Nk - Nq)`: queries are aligned to the bottom-right
      corner of the score matrix when `Nq != Nk`, as FlashAttention-2 does,
      so that a causal decode step (`Nq = 1`) sees the whole cache.
      Region masks and score modifications receive the raw indices.
    * Scores are `s = scale * q.k` (default `scale = 1/sqrt(D)`), then the
      additive bias operand, then `score_mods` in order, then the
      `score_mod` region.
    * A query row whose keys are all masked produces 0 (never NaN) and a
      logsumexp of `-inf`.
  }];
  let useDefaultAttributePrinterParser = 1;
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
