"""Traced region forms against attribute forms and the float64 reference.

Each variant is written twice: with the dialect's attribute (causal(),
window(), sinks(), softcap(), alibi(), document(), strided()) and as a
traced Python function. Both are compiled (tiled and untiled) and compared
with the reference, and with each other (same inputs, Nq == Nk so that the
attributes' aligned position equals the raw query index), over several
seeds, odd sizes and the three element types.
"""

import numpy as np
import pytest

import attn_opt as ao
from attn_opt import math as M
from conftest import assert_matches_reference, make_qkv

# (B, Hq, Hkv, N, N, D[, Dv]): lengths that are not powers of two, GQA, MQA.
SHAPES = [(1, 4, 2, 37, 37, 16), (2, 4, 4, 19, 19, 8, 12), (1, 4, 1, 70, 70, 16)]
SEEDS = [0, 1, 2]
DTYPES = ["f32", "f16", "bf16"]

W = 7          # sliding window: W keys, the query included
SINKS = 3
CAP = 2.5      # a small soft cap so that it matters for N(0,1) scores
S2_STRIDE, S2_BLOCK, S2_SIGMA = 3, 4, 1


def alibi_slopes(n):
    """Press et al.'s geometric slopes for n heads (a power of two)."""
    return np.array([2.0 ** (-8.0 * (h + 1) / n) for h in range(n)], np.float32)


def make_variants(hq, ids):
    """name -> (attribute spec kwargs, traced spec kwargs, operands of the
    attribute form; the traced form captures what it reads)."""
    slopes = alibi_slopes(hq)

    def causal_fn(b, h, q, kv):
        return q >= kv

    def window_fn(b, h, q, kv):
        return (q >= kv) & (q - kv < W)

    def sinks_fn(b, h, q, kv):
        return (q >= kv) & ((kv < SINKS) | (q - kv < W))

    def softcap_fn(score, b, h, q, kv):
        return CAP * M.tanh(score / CAP)

    def alibi_fn(score, b, h, q, kv):
        return score - slopes[h] * M.to_float(q - kv)

    def document_fn(b, h, q, kv):
        return ids[b, q] == ids[b, kv]

    def s2_fn(b, h, q, kv):
        # S2-Attention: head h attends to key blocks J with
        # (J + h * sigma + 1) mod S == 0, causally.
        return (q >= kv) & ((kv // S2_BLOCK + h * S2_SIGMA + 1) % S2_STRIDE == 0)

    return {
        "causal": (dict(mask=ao.causal()), dict(mask=causal_fn), {}),
        "sliding_window": (dict(mask=ao.causal() & ao.window(W - 1)),
                           dict(mask=window_fn), {}),
        "sinks": (dict(mask=ao.and_(ao.causal(), ao.or_(ao.sinks(SINKS), ao.window(W - 1)))),
                  dict(mask=sinks_fn), {}),
        "softcap": (dict(mask=ao.causal(), score_mod=ao.softcap(CAP)),
                    dict(mask=causal_fn, score_mod=softcap_fn), {}),
        "alibi": (dict(mask=ao.causal(), score_mod=ao.alibi()),
                  dict(mask=ao.causal(), score_mod=alibi_fn), {}),
        "document": (dict(mask=ao.document()), dict(mask=document_fn),
                     {"segment_ids": ids}),
        "s2_strided": (dict(mask=ao.causal() & ao.strided(
                            S2_STRIDE, S2_BLOCK, offset=-1, head_step=-S2_SIGMA)),
                       dict(mask=s2_fn), {}),
    }


VARIANTS = ["causal", "sliding_window", "sinks", "softcap", "alibi", "document",
            "s2_strided"]


def doc_ids(b, n, seed):
    rng = np.random.default_rng(100 + seed)
    return np.cumsum(rng.random((b, n)) < 0.15, axis=1).astype(np.int32)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_region_form_matches_attribute_form(variant, shape):
    b, hq, n = shape[0], shape[1], shape[3]
    for seed in SEEDS:
        ids = doc_ids(b, n, seed)
        attr_kw, fn_kw, operands = make_variants(hq, ids)[variant]
        attr_spec, fn_spec = ao.Spec(**attr_kw), ao.Spec(**fn_kw)
        assert "mask_fn" in fn_spec.text or "score_mod {" in fn_spec.text
        assert "mask_fn" not in attr_spec.text and "score_mod {" not in attr_spec.text
        args = make_qkv(shape, "f32", seed)
        attr_out, attr_ref = assert_matches_reference(attr_spec, args, **operands)
        fn_out, fn_ref = assert_matches_reference(fn_spec, args)
        # The two references agree to float64 rounding; compiled results to
        # the f32 tolerance.
        np.testing.assert_allclose(fn_ref, attr_ref, rtol=1e-9, atol=1e-12)
        assert ao.compare(fn_out, attr_ref).passed
        assert ao.compare(attr_out, fn_ref).passed


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_dtypes(variant, dtype):
    shape = (1, 4, 2, 29, 29, 16)
    ids = doc_ids(1, 29, 0)
    attr_kw, fn_kw, operands = make_variants(4, ids)[variant]
    for kw, ops in ((attr_kw, operands), (fn_kw, {})):
        spec = ao.Spec(dtype=dtype, **kw)
        for seed in SEEDS:  # one kernel per spec: seeds only change the data
            args = make_qkv(shape, dtype, seed=seed)
            out, ref = assert_matches_reference(spec, args, **ops)
            tol = 1e-5 if dtype == "f32" else 1e-2
            assert ao.compare(out, ref).tolerance == tol


def test_traced_region_text():
    """The traced forms produce the ops the dialect documents."""
    hq = 4
    v = make_variants(hq, doc_ids(1, 8, 0))
    text = ao.Spec(**v["s2_strided"][1]).text
    assert "arith.floordivsi" in text and "arith.remsi" in text
    assert "arith.cmpi sge" in text and "arith.andi" in text
    text = ao.Spec(**v["alibi"][1]).text
    assert "captures(%cap.slopes : tensor<4xf32>)" in text
    assert "tensor.extract %slopes[%h] : tensor<4xf32>" in text
    assert "arith.sitofp" in text
    text = ao.Spec(**v["softcap"][1]).text
    assert "math.tanh" in text and "arith.divf" in text
    text = ao.Spec(**v["document"][1]).text
    assert "tensor<1x8xindex>" in text and "tensor.extract %ids[%b, %q_idx]" in text


def test_rows_without_keys_match():
    """Nq > Nk with a causal mask: rows with no visible key are 0."""
    spec = ao.Spec(mask=ao.causal())
    args = make_qkv((1, 4, 2, 23, 9, 16), "f32", seed=9)
    out, _ = assert_matches_reference(spec, args, lse=True)
    assert np.all(out[:, :, :14] == 0)


@pytest.mark.parametrize("shape", [(2, 4, 4, 5, 29, 8, 12), (1, 4, 1, 1, 19, 16)])
def test_decode_shapes(shape):
    """Nq < Nk (decode-like, bottom-right aligned) for attribute masks, and
    a region mask written with the alignment made explicit."""
    nq, nk = shape[3], shape[4]
    offset = nk - nq
    attr = ao.Spec(mask=ao.causal() & ao.window(W - 1), score_mod=ao.softcap(CAP))
    traced = ao.Spec(mask=lambda b, h, q, kv: (q + offset >= kv) & (q + offset - kv < W),
                     score_mod=lambda s, b, h, q, kv: CAP * M.tanh(s / CAP))
    for seed in SEEDS:
        args = make_qkv(shape, "f32", seed)
        a, _ = assert_matches_reference(attr, args)
        t, _ = assert_matches_reference(traced, args)
        np.testing.assert_allclose(a, t, rtol=1e-5, atol=1e-6)
