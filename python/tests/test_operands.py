"""The Spec arguments for the op's other operands (k_head_map, v_head_map,
sink_logits, output_gate) and the traced weight_mod region: generated text,
runs against the reference (several seeds, awkward sizes, fully masked
rows), independent NumPy checks of the semantics, and error paths."""

import numpy as np
import pytest

import attn_opt as ao
from attn_opt import math as M
from conftest import assert_matches_reference, make_qkv


def qkv(b, hq, hk, hv, nq, nk, d=8, dv=None, seed=0):
    """Random float32 q [b, hq, nq, d], k [b, hk, nk, d], v [b, hv, nk, dv]."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((b, hq, nq, d)).astype(np.float32),
            rng.standard_normal((b, hk, nk, d)).astype(np.float32),
            rng.standard_normal((b, hv, nk, dv or d)).astype(np.float32))


def softmax_attention(q, k, v, keep, sinks=None):
    """float64 softmax attention of one head group: q [.., nq, d], keep
    [nq, nk]; with a sink logit per row, returns the output and the lse."""
    s = np.einsum("...id,...jd->...ij", q.astype(np.float64), k.astype(np.float64))
    s = np.where(keep, s / np.sqrt(q.shape[-1]), -np.inf)
    if sinks is not None:
        s = np.concatenate([s, np.broadcast_to(sinks, s.shape[:-1] + (1,))], axis=-1)
    m = np.max(s, axis=-1, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(m), m, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):  # rows without keys
        w = e / np.sum(e, axis=-1, keepdims=True)
        lse = np.log(np.sum(e, axis=-1)) + np.where(np.isfinite(m[..., 0]), m[..., 0], 0.0)
    if sinks is not None:
        w = w[..., :-1]
    return np.nan_to_num(w) @ v.astype(np.float64), lse


def causal_keep(nq, nk):
    i, j = np.meshgrid(np.arange(nq), np.arange(nk), indexing="ij")
    return j <= i + nk - nq


# -- generated text ---------------------------------------------------------- #


def test_operand_text_and_bound_arrays():
    spec = ao.Spec(k_head_map=np.array([1, 0]), v_head_map=[[0, 1]],
                   sink_logits=[0.5, -1], output_gate=np.ones((1, 2, 1)))
    for group in ("k_head_map(%k_head_map : tensor<?xi32>)",
                  "v_head_map(%v_head_map : tensor<?x?xi32>)",
                  "sink_logits(%sink_logits : tensor<?xf32>)",
                  "output_gate(%output_gate : tensor<?x?x?xf32>)"):
        assert group in spec.text, spec.text
    # The op's operand order: maps, sinks, gate, then captures and attributes.
    order = [spec.text.index(w) for w in ("k_head_map(", "v_head_map(", "sink_logits(",
                                          "output_gate(")]
    assert order == sorted(order)
    bound = spec.bound
    assert bound["k_head_map"].dtype == np.int32 and bound["k_head_map"].tolist() == [1, 0]
    assert bound["v_head_map"].shape == (1, 2)
    assert bound["sink_logits"].dtype == np.float32
    assert bound["output_gate"].dtype == np.float32 and bound["output_gate"].shape == (1, 2, 1)
    roles = {a["name"]: a["role"] for a in spec.info["args"]}
    assert roles["k_head_map"] == "k_head_map" and roles["output_gate"] == "output_gate"
    assert not spec.info["has_weight_mod"]


@pytest.mark.parametrize("kw, group", [
    (dict(k_head_map=True), "k_head_map(%k_head_map : tensor<?xi32>)"),
    (dict(v_head_map=(1, None)), "v_head_map(%v_head_map : tensor<1x?xi32>)"),
    (dict(k_head_map=(None, None)), "k_head_map(%k_head_map : tensor<?x?xi32>)"),
    (dict(sink_logits=True), "sink_logits(%sink_logits : tensor<?xf32>)"),
    (dict(output_gate=True), "output_gate(%output_gate : tensor<?x?x?xf32>)"),
    (dict(output_gate=(None, None, 1)), "output_gate(%output_gate : tensor<?x?x1xf32>)"),
])
def test_operands_passed_at_run_time(kw, group):
    spec = ao.Spec(**kw)
    assert group in spec.text
    assert not spec.bound
    name = next(iter(kw))
    with pytest.raises(TypeError, match=f"missing operand '{name}'"):
        ao.run(spec, *qkv(1, 2, 2, 2, 3, 3))


def test_weight_mod_text():
    table = np.linspace(0.0, 1.0, 5).astype(np.float32)
    spec = ao.Spec(mask=lambda b, h, q, kv: kv <= q + 1,
                   score_mod=lambda s, b, h, q, kv: s + table[h],
                   weight_mod=lambda w, s, b, h, q, k: w * s + table[h])
    text = spec.text
    assert text.count("weight_mod {") == 1 and spec.info["has_weight_mod"]
    # Regions in the op's order; one capture shared by both regions.
    assert text.index("mask_fn {") < text.index("score_mod {") < text.index("weight_mod {")
    assert text.count('{attn.name = "table"}') == 1
    assert ("^bb0(%w: f32, %s: f32, %b: index, %h: index, %q_idx: index, %kv_idx: index, "
            "%table: tensor<5xf32>):") in text
    region = ao.trace_weight_mod(lambda weight, score, b, h, q_idx, kv_idx: weight * 2.0)
    assert region.startswith("weight_mod {\n^bb0(%weight: f32, %score: f32, %b: index")
    assert "arith.mulf %weight" in region and "attn.yield %1 : f32" in region


# -- head maps ------------------------------------------------------------- #


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("b, nq, nk", [(2, 37, 37), (1, 1, 29), (2, 37, 30)])
def test_gqa_head_maps_with_own_value_heads(seed, b, nq, nk):
    """Hq = 6 query heads over Hk = 4 key heads and Hv = 3 value heads (Hq is
    a multiple of neither), per-batch key maps and a shared value map."""
    rng = np.random.default_rng(seed)
    k_map = rng.integers(0, 4, (b, 6))
    v_map = rng.integers(0, 3, 6)
    spec = ao.Spec(mask=ao.causal(), k_head_map=k_map, v_head_map=v_map)
    args = qkv(b, 6, 4, 3, nq, nk, d=8, dv=5, seed=seed)
    out, _ = assert_matches_reference(spec, args, lse=True)
    q, k, v = args
    for bb in range(b):
        for h in range(6):
            want, _ = softmax_attention(q[bb, h], k[bb, k_map[bb, h]], v[bb, v_map[h]],
                                        causal_keep(nq, nk))
            np.testing.assert_allclose(out[bb, h], want, rtol=1e-4, atol=1e-5)


def test_head_map_matches_permuted_heads():
    """A key map alone (V keeps K's head count, read as h // (Hq // Hk))
    equals the plain spec on heads permuted by hand; a bound map is
    overridden by keyword."""
    q, k, v = qkv(1, 4, 2, 2, 21, 21, seed=5)
    plain = ao.run(ao.Spec(mask=ao.window(4, 4)), q, k[:, ::-1].copy(), v)
    spec = ao.Spec(mask=ao.window(4, 4), k_head_map=[1, 1, 0, 0])
    np.testing.assert_array_equal(ao.run(spec, q, k, v), plain)
    assert_matches_reference(spec, (q, k, v))
    same = ao.run(spec, q, k, v, k_head_map=np.array([0, 0, 1, 1], np.int64))
    np.testing.assert_array_equal(same, ao.run(ao.Spec(mask=ao.window(4, 4)), q, k, v))
    assert_matches_reference(spec, (q, k, v), k_head_map=[0, 1, 1, 0])


def test_out_of_range_map_entries():
    """The reference reports entries outside [0, Hk); compiled code clamps
    them into range (as the dialect specifies)."""
    spec = ao.Spec(k_head_map=True, v_head_map=True)
    args = qkv(1, 3, 2, 2, 9, 9, seed=1)
    bad, clamped = [0, 5, -1], [0, 1, 0]
    with pytest.raises(ao.ReferenceEvaluationError,
                       match=r"k_head_map entry 5 of query head 1 .*\[0, 2\)") as info:
        ao.reference(spec, *args, k_head_map=bad, v_head_map=[1, 1, 0])
    # A SpecError located at the op (still the RuntimeError it used to be).
    e = info.value
    assert isinstance(e, ao.SpecError) and isinstance(e, RuntimeError)
    assert e.file == spec.filename
    assert "attn.attention" in spec.text.splitlines()[e.line - 1]
    for tiled in (True, False):
        np.testing.assert_array_equal(
            ao.run(spec, *args, k_head_map=bad, v_head_map=[1, 1, 0], tiled=tiled),
            ao.run(spec, *args, k_head_map=clamped, v_head_map=[1, 1, 0], tiled=tiled))


# -- sinks ------------------------------------------------------------------- #


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("nq, nk", [(37, 37), (1, 23), (37, 30)])
def test_sinks_causal_lse(seed, nq, nk):
    """Nq > Nk leaves the first Nq - Nk rows without keys: output 0, lse =
    the sink logit."""
    rng = np.random.default_rng(seed)
    sinks = rng.standard_normal(4).astype(np.float32) * 2
    spec = ao.Spec(mask=ao.causal(), sink_logits=sinks, lse=True)
    args = qkv(2, 4, 2, 2, nq, nk, seed=seed)
    out, ref = assert_matches_reference(spec, args, lse=True)
    _, lse = ao.run(spec, *args, return_lse=True)
    q, k, v = args
    for h in range(4):
        want, want_lse = softmax_attention(q[:, h], k[:, h // 2], v[:, h // 2],
                                           causal_keep(nq, nk), sinks[h])
        np.testing.assert_allclose(out[:, h], want, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(lse[:, h], want_lse, rtol=1e-5, atol=1e-5)
    empty = max(nq - nk, 0)
    assert not out[:, :, :empty].any()
    np.testing.assert_allclose(lse[:, :, :empty], np.broadcast_to(sinks[:, None], (2, 4, empty)))


def test_sinks_make_rows_sum_below_one():
    """With V = 1 the output is the row's weight sum S / (S + exp(sink))."""
    spec = ao.Spec(sink_logits=[0.0, 2.0])
    q, k, _ = qkv(1, 2, 2, 2, 5, 7, seed=2)
    ones = np.ones((1, 2, 7, 3), np.float32)
    out = ao.run(spec, q, k, ones)
    s = np.einsum("hid,hjd->hij", q[0].astype(np.float64), k[0]) / np.sqrt(8)
    total = np.exp(s).sum(axis=-1)
    want = total / (total + np.exp([[0.0], [2.0]]))
    np.testing.assert_allclose(out[0], np.repeat(want[..., None], 3, axis=-1), rtol=1e-5)
    assert np.all(out < 1.0)
    assert ao.compare(out, ao.reference(spec, q, k, ones)).passed


# -- output gates ------------------------------------------------------------ #


@pytest.mark.parametrize("gate_shape", [(2, 4, 37), (1, 4, 1), (2, 1, 37), (1, 1, 1)])
def test_gate_and_window(gate_shape):
    rng = np.random.default_rng(sum(gate_shape))
    gate = rng.standard_normal(gate_shape).astype(np.float32)
    args = qkv(2, 4, 4, 4, 37, 37, seed=4)
    plain, plain_lse = ao.run(ao.Spec(mask=ao.window(7)), *args, return_lse=True)
    bound = ao.Spec(mask=ao.window(7), output_gate=gate)
    at_run = ao.Spec(mask=ao.window(7), output_gate=True)
    for spec, ops in ((bound, {}), (at_run, {"output_gate": gate})):
        out, _ = assert_matches_reference(spec, args, lse=True, **ops)
        np.testing.assert_allclose(out, gate[..., None] * plain, rtol=1e-5, atol=1e-6)
        _, lse = ao.run(spec, *args, return_lse=True, **ops)
        np.testing.assert_allclose(lse, plain_lse, rtol=1e-6)  # the gate leaves it alone


# -- weight_mod ---------------------------------------------------------------- #

TABLE = (0.1 * np.random.default_rng(7).standard_normal((4, 64))).astype(np.float32)


def indexed_weight_mod(w, score, b, h, q_idx, kv_idx):
    """Reads the raw score, every index and a captured global array."""
    dist = M.clamp(q_idx - kv_idx, 0, 63)
    return w * M.tanh(score) + TABLE[h, dist] * M.to_float(b + 1) + 0.001 * M.to_float(kv_idx)


@pytest.mark.parametrize("norm", [ao.softmax(), ao.sigmoid(), ao.sigmoid(-1.0, l1=True),
                                  ao.relu(l1=True)])
@pytest.mark.parametrize("shape", [(2, 4, 2, 37, 37, 8), (1, 4, 4, 1, 19, 8),
                                   (2, 4, 2, 37, 30, 8)])
def test_weight_mod_under_normalizations(norm, shape):
    spec = ao.Spec(mask=ao.causal(), normalization=norm, weight_mod=indexed_weight_mod)
    assert 'attn.name = "TABLE"' in spec.text and "weight_mod {" in spec.text
    for seed in (0, 1):
        out, ref = assert_matches_reference(spec, make_qkv(shape, seed=seed))
    if shape[3] > shape[4]:  # rows without keys: no weights, output 0
        assert not out[:, :, :shape[3] - shape[4]].any()


def test_weight_mod_receives_weight_then_raw_score():
    """The second argument is the raw scale * q.k (the score_mod's result
    does not reach it); returning it gives sum_j r_ij v_j."""
    q, k, v = qkv(1, 2, 2, 2, 13, 11, seed=9)
    spec = ao.Spec(mask=ao.causal(), score_mod=lambda s, b, h, qi, ki: s * 0.0 + 5.0,
                   weight_mod=lambda w, s, b, h, qi, ki: s)
    raw = np.einsum("bhid,bhjd->bhij", q.astype(np.float64), k) / np.sqrt(8)
    want = np.where(causal_keep(13, 11), raw, 0.0) @ v
    np.testing.assert_allclose(ao.run(spec, q, k, v), want, rtol=1e-4, atol=1e-5)
    doubled = ao.Spec(mask=ao.causal(), weight_mod=[lambda w, s, b, h, qi, ki: w * 2.0,
                                                      lambda w, s, b, h, qi, ki: w + 0.0])
    np.testing.assert_allclose(ao.run(doubled, q, k, v),
                               2 * ao.run(ao.Spec(mask=ao.causal()), q, k, v),
                               rtol=1e-5, atol=1e-6)
    assert_matches_reference(doubled, (q, k, v))


# -- everything at once ------------------------------------------------------ #


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
def test_all_operands_combined(dtype):
    rng = np.random.default_rng(11)
    rel = ao.capture(0.1 * rng.standard_normal((6, 80)).astype(np.float32), "rel")
    spec = ao.Spec(
        mask=[ao.causal(), lambda b, h, q, kv: q - kv < 24],
        score_mod=[ao.softcap(20.0), lambda s, b, h, q, kv: s + rel[h, M.clamp(q - kv, 0, 79)]],
        weight_mod=lambda w, s, b, h, q, kv: w * (1.0 + rel[h, kv % 80]),
        k_head_map=rng.integers(0, 2, (2, 6)), v_head_map=[2, 0, 1, 1, 0, 2],
        sink_logits=rng.standard_normal(6), output_gate=True, dtype=dtype)
    text = spec.text
    for word in ("k_head_map(", "v_head_map(", "sink_logits(", "output_gate(",
                 "captures(%cap.rel", "mask_fn {", "score_mod {", "weight_mod {"):
        assert word in text
    gate = rng.random((2, 6, 1)).astype(np.float32)
    q, k, v = qkv(2, 6, 2, 3, 37, 37, seed=12)
    if dtype == "f16":
        q, k, v = (x.astype(np.float16) for x in (q, k, v))
    elif dtype == "bf16":
        q, k, v = (ao.to_bf16(x) for x in (q, k, v))
    assert_matches_reference(spec, (q, k, v), lse=True, output_gate=gate)
    # The lse variant keeps every operand and region.
    assert spec.with_lse().bound.keys() == spec.bound.keys()


# -- errors ------------------------------------------------------------------ #


@pytest.mark.parametrize("kw, exc, match", [
    (dict(k_head_map=np.array([0.0, 1.0])), TypeError, "k_head_map must be an integer array"),
    (dict(v_head_map=np.array([True, False])), TypeError, "v_head_map must be an integer array"),
    (dict(k_head_map=np.zeros((1, 2, 2), int)), ValueError, r"\[Hq\] or \[B\|1, Hq\], got shape"),
    (dict(k_head_map=np.zeros(0, int)), ValueError, "non-empty"),
    (dict(k_head_map=[2 ** 40]), ValueError, "outside the range of i32"),
    (dict(k_head_map=(0, 1)), ValueError, "passed at run time"),
    (dict(v_head_map=(None, None, None)), ValueError, "a 1-tuple or a 2-tuple"),
    (dict(sink_logits=np.array(["a"])), TypeError, "sink_logits must be a float array"),
    (dict(sink_logits=np.zeros((2, 2))), ValueError, r"\[Hq\], got shape \(2, 2\)"),
    (dict(output_gate=np.ones((2, 3))), ValueError, r"\[B\|1, Hq\|1, Nq\|1\]"),
    (dict(output_gate=(1, 2, None)), ValueError, "1 \\(broadcast\\) or None"),
    (dict(bias=np.zeros((1, 1, 1, 1))), ValueError, "bias must be True or a 4-tuple"),
])
def test_bad_operand_arguments(kw, exc, match):
    with pytest.raises(exc, match=match):
        ao.Spec(**kw)


def test_operand_errors_from_the_verifier():
    with pytest.raises(ao.SpecError, match="sink_logits are only defined for softmax"):
        ao.Spec(sink_logits=[0.0], normalization="sigmoid")
    spec = ao.Spec(k_head_map=[0, 1, 1], v_head_map=True, output_gate=True)
    args = qkv(1, 3, 2, 2, 5, 5)
    with pytest.raises(ao.SpecError, match=r"k_head_map dimension 0 \(query heads\) is 3 but must be 4"):
        ao.run(spec, *qkv(1, 4, 2, 2, 5, 5), v_head_map=[0] * 4, output_gate=np.ones((1, 4, 5)))
    with pytest.raises(ao.SpecError, match="output_gate dimension 2"):
        ao.run(spec, *args, v_head_map=[0, 1, 0], output_gate=np.ones((1, 3, 4)))
    with pytest.raises(ValueError, match="unless both k_head_map and v_head_map"):
        ao.run(ao.Spec(k_head_map=[0, 1, 1]), *args)


def test_bad_weight_mods():
    def trace_error(fn):
        with pytest.raises(ao.TraceError) as info:
            ao.Spec(weight_mod=fn)
        return info.value
    e = trace_error(lambda w, s, b, h, q: w)
    assert e.construct == "signature"
    assert "weight_mod function" in str(e) and "(weight, score, b, h, q_idx, kv_idx)" in str(e)
    e = trace_error(lambda w, s, b, h, q, kv: q > kv)
    assert e.construct == "return" and "must return a float (f32) value" in str(e)
    e = trace_error(lambda w, s, b, h, q, kv: q - kv)
    assert e.construct == "return" and "math.to_float" in str(e)
    e = trace_error(lambda w, s, b, h, q, kv: None)
    assert e.construct == "return" and "NoneType" in str(e)

    def branchy(w, s, b, h, q, kv):
        if s > 0:
            return w
        return -w
    e = trace_error(branchy)
    assert e.construct == "bool()" and "if s > 0" in e.where
    with pytest.raises(TypeError, match="not a weight_mod function"):
        ao.Spec(weight_mod=42)
    with pytest.raises(TypeError, match="not a weight_mod function"):
        ao.Spec(weight_mod=ao.softcap(2.0))
