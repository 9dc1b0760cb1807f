"""The tracer: operators, the math namespace, NumPy interplay, captures and
the generated spec text; every traced construct is also run against the
reference."""

import numpy as np
import pytest

import attn_opt as ao
from attn_opt import math as M
from conftest import assert_matches_reference, make_qkv

SHAPE = (1, 4, 2, 21, 21, 8)
GLOBAL_TABLE = np.linspace(-1.0, 1.0, 4).astype(np.float32)


def region(fn, kind="mask"):
    return ao.trace_mask(fn) if kind == "mask" else ao.trace_score_mod(fn)


def run_checked(**kw):
    spec = ao.Spec(**kw)
    assert_matches_reference(spec, make_qkv(SHAPE, seed=3))
    return spec


# -- operators on integer positions ---------------------------------------- #


@pytest.mark.parametrize("fn, ops", [
    (lambda b, h, q, kv: q + kv > 7, ["arith.addi", "arith.cmpi sgt"]),
    (lambda b, h, q, kv: q - kv >= 2, ["arith.subi", "arith.cmpi sge"]),
    (lambda b, h, q, kv: q * 2 < kv * 3, ["arith.muli", "arith.cmpi slt"]),
    (lambda b, h, q, kv: q // 4 == kv // 4, ["arith.floordivsi", "arith.cmpi eq"]),
    (lambda b, h, q, kv: (q - kv) % 3 != 0, ["arith.remsi", "arith.select", "arith.cmpi ne"]),
    (lambda b, h, q, kv: kv <= q, ["arith.cmpi sle"]),
    (lambda b, h, q, kv: (q > 3) & (kv < 9), ["arith.andi"]),
    (lambda b, h, q, kv: (q > 3) | (kv < 9), ["arith.ori"]),
    (lambda b, h, q, kv: (q > 3) ^ (kv < 9), ["arith.xori"]),
    (lambda b, h, q, kv: ~(q > kv), ["arith.xori"]),
    (lambda b, h, q, kv: -q + 20 > kv, ["arith.subi"]),
    (lambda b, h, q, kv: abs(q - kv) < 4, ["arith.select"]),
    (lambda b, h, q, kv: M.abs(q - kv) <= 4, ["arith.select"]),
    (lambda b, h, q, kv: M.minimum(q, 10) >= M.maximum(kv, 3), ["arith.minsi", "arith.maxsi"]),
    (lambda b, h, q, kv: M.floordiv(q, 5) == M.mod(kv, 5), ["arith.floordivsi", "arith.remsi"]),
    (lambda b, h, q, kv: M.truncdiv(q - kv, 3) == M.rem(q - kv, 3), ["arith.divsi", "arith.remsi"]),
    (lambda b, h, q, kv: q ** 2 > kv * 7, ["arith.muli"]),
    (lambda b, h, q, kv: M.where(h == 0, q >= kv, kv >= q), ["arith.select", "i1"]),
    (lambda b, h, q, kv: (q >> 1) == (kv << 1), ["arith.shrsi", "arith.shli"]),
    (lambda b, h, q, kv: h * 5 + q >= kv + b, ["arith.muli"]),
])
def test_integer_ops(fn, ops):
    text = region(fn)
    for op in ops:
        assert op in text, text
    run_checked(mask=fn)


def test_python_modulo_semantics():
    """`%` and `//` follow Python on negative values, like the reference."""
    fn = lambda b, h, q, kv: ((q - kv) % 4 == 1) | ((kv - q) // 3 == -2) | (q == kv)  # noqa: E731
    spec = run_checked(mask=fn)
    bm = ao.block_map(spec, 12, tile_q=1, tile_kv=1)
    q, kv = np.meshgrid(np.arange(12), np.arange(12), indexing="ij")
    want = ((q - kv) % 4 == 1) | ((kv - q) // 3 == -2) | (q == kv)
    np.testing.assert_array_equal(bm.kinds == ao.BlockMap.FULL, want)


def test_negative_divisor_modulo():
    fn = lambda b, h, q, kv: (q - 10) % (kv - 10) == 0  # noqa: E731  (kv == 10: skip)
    text = region(lambda b, h, q, kv: (q % (kv + 1)) < 2)
    assert text.count("arith.cmpi") >= 3  # sign fix-up for a non-constant divisor
    run_checked(mask=lambda b, h, q, kv: (q % (kv - 30)) > -5)
    del fn


# -- float ops --------------------------------------------------------------- #


@pytest.mark.parametrize("fn, ops", [
    (lambda s, b, h, q, kv: s * 0.5 + 1.0, ["arith.mulf", "arith.addf"]),
    (lambda s, b, h, q, kv: 1.0 - s / 3, ["arith.subf", "arith.divf"]),
    (lambda s, b, h, q, kv: -s, ["arith.negf"]),
    (lambda s, b, h, q, kv: s // 0.7, ["math.floor"]),
    (lambda s, b, h, q, kv: s % 0.7, ["math.floor", "arith.subf"]),
    (lambda s, b, h, q, kv: s ** 2, ["arith.mulf"]),
    (lambda s, b, h, q, kv: M.pow(M.abs(s), 1.5), ["math.powf", "math.absf"]),
    (lambda s, b, h, q, kv: M.tanh(s) + M.exp(s / 4) + M.log(M.abs(s) + 1), ["math.tanh", "math.exp", "math.log"]),
    (lambda s, b, h, q, kv: M.sqrt(M.abs(s)) + M.exp2(s / 8) + M.log2(2 + s * s),
     ["math.sqrt", "math.exp2", "math.log2"]),
    (lambda s, b, h, q, kv: M.sin(s) * M.cos(s) + M.erf(s) + M.log1p(s * s) + M.expm1(s / 9),
     ["math.sin", "math.cos", "math.erf", "math.log1p", "math.expm1"]),
    (lambda s, b, h, q, kv: M.floor(s) + M.ceil(s) + M.rsqrt(s * s + 1), ["math.floor", "math.ceil", "math.rsqrt"]),
    (lambda s, b, h, q, kv: M.sigmoid(s) * 4, ["math.exp", "arith.divf"]),
    (lambda s, b, h, q, kv: M.minimum(s, 0.25) + M.maximum(s, -0.5), ["arith.minimumf", "arith.maximumf"]),
    (lambda s, b, h, q, kv: M.clamp(s, -1, 1), ["arith.minimumf", "arith.maximumf"]),
    (lambda s, b, h, q, kv: M.where(s > 0, s, 0.1 * s), ["arith.cmpf ogt", "arith.select"]),
    (lambda s, b, h, q, kv: M.where(s != s, 0.0, s), ["arith.cmpf une"]),
    (lambda s, b, h, q, kv: s - M.to_float(q - kv) / 16, ["arith.index_cast", "arith.sitofp"]),
    (lambda s, b, h, q, kv: s + M.to_float(q > kv), ["arith.select"]),
    (lambda s, b, h, q, kv: s * M.to_float(M.to_int(s * 3) % 2), ["arith.fptosi", "arith.index_cast"]),
    (lambda s, b, h, q, kv: s + M.pi - M.e, ["arith.constant 3.14159"]),
])
def test_float_ops(fn, ops):
    text = region(fn, "score")
    for op in ops:
        assert op in text, text
    run_checked(score_mod=fn)


def test_numpy_ufuncs_on_tracers():
    fn = lambda s, b, h, q, kv: np.tanh(s) * np.float32(2) + np.exp(s / 8) - np.maximum(s, 0.1) \
        + np.where(q > kv, 0.5, 0.0) + np.clip(s, -1.0, 1.0)  # noqa: E731
    text = region(fn, "score")
    assert "math.tanh" in text and "arith.maximumf" in text and "arith.select" in text
    run_checked(score_mod=fn)
    mask = lambda b, h, q, kv: np.logical_and(np.greater_equal(q, kv), np.logical_not(q - kv > 5))  # noqa: E731
    run_checked(mask=mask)


def test_python_constants_fold():
    assert "arith.constant" not in region(lambda b, h, q, kv: (q >= kv) & True)
    text = region(lambda b, h, q, kv: M.where(True, q >= kv, q < kv))
    assert "arith.select" not in text
    assert "arith.constant true" in region(lambda b, h, q, kv: True)
    assert M.tanh(0.5) == pytest.approx(np.tanh(0.5))
    assert M.minimum(3, 4) == 3 and M.floordiv(-7, 2) == -4 and M.mod(-7, 2) == 1
    assert M.truncdiv(-7, 2) == -3 and M.rem(-7, 2) == -1


def test_common_subexpressions_are_shared():
    text = region(lambda b, h, q, kv: ((q - kv) < 5) & ((q - kv) > -5))
    assert text.count("arith.subi") == 1


def test_dead_values_are_dropped():
    def fn(b, h, q, kv):
        unused = q * 1000 + kv  # noqa: F841
        return q >= kv
    text = region(fn)
    assert "arith.muli" not in text and "1000" not in text


def test_region_names_follow_python_parameters():
    text = region(lambda batch, head, qi, ki: qi >= ki)
    assert "^bb0(%batch: index, %head: index, %qi: index, %ki: index)" in text
    # Names of the spec function are avoided in the region.
    text = region(lambda b, h, q, k: q >= k)
    assert "%q_idx" in text and "%kv_idx" in text


def test_several_functions_compose():
    spec = run_checked(mask=[lambda b, h, q, kv: q >= kv, lambda b, h, q, kv: q - kv < 6],
                       score_mod=[ao.softcap(4.0), lambda s, b, h, q, kv: s * 2,
                                  lambda s, b, h, q, kv: s - 1])
    assert spec.text.count("mask_fn {") == 1 and spec.text.count("score_mod {") == 1
    assert "score_mods([#attn.softcap<4.0>])" in spec.text
    fn_or = ao.or_(lambda b, h, q, kv: q == kv, lambda b, h, q, kv: kv < 2)
    fn_not = ao.not_(lambda b, h, q, kv: q < kv)
    run_checked(mask=ao.and_(fn_or | fn_not, ao.causal()))


def test_mask_combinators():
    m = ao.causal() & (ao.sinks(4) | ao.window(63)) & ~ao.chunked(128)
    spec = ao.Spec(mask=m)
    assert ("mask(#attn.and<[#attn.causal, #attn.or<[#attn.sinks<4>, #attn.window<left = 63, "
            "right = 0>]>, #attn.not<#attn.chunked<128>>]>)") in spec.text


@pytest.mark.parametrize("mask, text", [
    (ao.full(), "#attn.full"),
    (ao.strided(4, block=128, offset=-1, head_step=-1),
     "#attn.strided<stride = 4, block = 128, offset = -1, head_step = -1>"),
    (ao.dilated(3), "#attn.dilated<3>"),
    (ao.chunked(8), "#attn.chunked<8>"),
    (ao.prefix_lm(7), "#attn.prefix_lm<7>"),
    (ao.neighborhood([4, -1], [3, 3], dilation=[1, 2], causal=[True, False]),
     "#attn.neighborhood<grid = [4, -1], kernel = [3, 3], dilation = [1, 2], causal = [true, false]>"),
    (ao.per_head([ao.causal(), ao.sinks(2)], heads=[0, 1, 1, 0]),
     "#attn.per_head<masks = [#attn.causal, #attn.sinks<2>], heads = [0, 1, 1, 0]>"),
])
def test_attribute_masks(mask, text):
    spec = ao.Spec(mask=mask)
    assert text in spec.text
    shape = (1, 4, 2, 24, 24, 8)
    assert_matches_reference(spec, make_qkv(shape, seed=4))


def test_block_sparse_and_normalizations():
    layout = np.random.default_rng(1).integers(0, 2, (1, 1, 3, 3)).astype(bool)
    spec = ao.Spec(mask=ao.block_sparse(8, 8, layout))
    assert "block_layout(%block_layout : tensor<?x?x?x?xi8>)" in spec.text
    assert_matches_reference(spec, make_qkv((1, 2, 2, 21, 21, 8), seed=2))
    for norm, text in [(ao.sigmoid(-1.0), "#attn.normalize<sigmoid, bias = -1.0>"),
                       (ao.softplus(l1=True), "#attn.normalize<softplus, l1>"),
                       (ao.relu(l1=True), "#attn.normalize<relu, l1>"),
                       (ao.identity(), "#attn.normalize<identity>"),
                       ("sigmoid", "#attn.normalize<sigmoid>")]:
        spec = ao.Spec(mask=ao.causal(), normalization=norm, scale=0.3)
        assert text in spec.text and "scale(0.3)" in spec.text
        assert_matches_reference(spec, make_qkv(SHAPE, seed=6))
    assert "normalization" not in ao.Spec(normalization=ao.softmax()).text


# -- captures ------------------------------------------------------------ #


def test_closure_capture_per_head_table():
    bias = np.array([0.5, -0.25, 1.0, 0.0], np.float32)
    spec = run_checked(score_mod=lambda s, b, h, q, kv: s + bias[h])
    assert "captures(%cap.bias_ : tensor<4xf32>)" in spec.text  # 'bias' is taken
    assert spec.bound["bias_"] is not None


def test_global_and_default_captures():
    def with_default(s, b, h, q, kv, table=np.arange(21) % 3):
        return s * M.to_float(table[kv]) + GLOBAL_TABLE[h]
    spec = run_checked(score_mod=with_default)
    assert 'attn.name = "table"' in spec.text and 'attn.name = "GLOBAL_TABLE"' in spec.text
    assert "tensor<21xindex>" in spec.text and "tensor<4xf32>" in spec.text


def test_explicit_capture_and_sharing():
    rel = ao.capture(np.random.default_rng(0).standard_normal((4, 41)).astype(np.float32), "rel")
    keep = ao.capture(np.random.default_rng(1).random((21, 21)) < 0.7)
    spec = run_checked(mask=lambda b, h, q, kv: keep[q, kv] | (q == kv),
                       score_mod=lambda s, b, h, q, kv: s + rel[h][q - kv + 20])
    assert spec.text.count("%cap.rel") == 2  # argument and captures(...)
    assert "tensor<21x21xindex>" in spec.text  # booleans travel as 0/1 integers
    assert "arith.cmpi ne" in spec.text


def test_same_array_in_both_regions_is_one_capture():
    t = np.arange(4)
    spec = run_checked(mask=lambda b, h, q, kv: kv + t[h] >= 0,
                       score_mod=lambda s, b, h, q, kv: s * M.to_float(t[h] + 1))
    assert spec.text.count("{attn.name") == 1


def test_negative_and_constant_indices():
    t = np.array([[1.0, 2.0, 3.0]], np.float32)
    text = region(lambda s, b, h, q, kv: s + t[0, -1] + t[-1][h % 3], "score")
    assert "arith.constant 2 : index" in text


def test_bound_capture_can_be_overridden():
    scale = np.array([1.0], np.float32)
    spec = ao.Spec(score_mod=lambda s, b, h, q, kv: s * scale[0])
    args = make_qkv(SHAPE, seed=1)
    a = ao.run(spec, *args)
    b = ao.run(spec, *args, scale=np.array([3.0], np.float32))
    assert not np.allclose(a, b)
    assert ao.compare(b, ao.reference(spec, *args, scale=np.array([3.0], np.float32))).passed


def test_alibi_with_custom_slopes():
    slopes = np.array([0.3, 0.1, 0.05, 0.7], np.float32)
    spec = ao.Spec(mask=ao.causal(), score_mod=ao.alibi(slopes))
    assert "alibi_slopes(%alibi_slopes : tensor<?xf32>)" in spec.text
    assert_matches_reference(spec, make_qkv(SHAPE, seed=2))


def test_spec_text_is_what_runs():
    spec = ao.Spec(mask=ao.causal(), score_mod=lambda s, b, h, q, kv: s * 0.5, name="halved")
    parsed = ao.parse(spec.text, bound=spec.bound)
    args = make_qkv(SHAPE, seed=8)
    np.testing.assert_array_equal(ao.run(spec, *args), ao.run(parsed, *args))
    assert spec.entry == "halved" and str(spec) == spec.text
    assert repr(spec) == "<attn_opt.Spec @halved (f32)>"


def test_specs_are_traced_per_thread():
    from concurrent.futures import ThreadPoolExecutor
    tables = [np.full(4, n, np.int64) for n in range(8)]

    def build(n):
        t = tables[n]
        return ao.Spec(mask=lambda b, h, q, kv: kv + t[h] <= q + n, name=f"t{n}")
    with ThreadPoolExecutor(4) as pool:
        specs = list(pool.map(build, range(8)))
    for n, spec in enumerate(specs):
        assert spec.entry == f"t{n}"
        np.testing.assert_array_equal(spec.bound["t"], tables[n])


def test_empty_text_is_a_spec_error():
    with pytest.raises(ao.SpecError, match="no function holds an attn.attention") as info:
        ao.parse("", filename="empty.mlir")
    assert info.value.location == "empty.mlir:1:1"


def test_scalar_captures():
    factor = np.array(0.5, np.float32)
    enabled = np.array(True)
    spec = run_checked(mask=lambda b, h, q, kv: enabled[()] & (q >= kv),
                       score_mod=lambda s, b, h, q, kv: s * factor[()])
    assert "tensor.extract %factor[] : tensor<f32>" in spec.text
    assert spec.bound["factor"].shape == ()


def test_arrays_of_composed_functions_are_captured():
    allowed = np.array([True, False, True, True])
    near = np.array([2, 3, 4, 5])
    m = ao.or_(lambda b, h, q, kv: allowed[h] & (q >= kv),
               ao.not_(lambda b, h, q, kv: q - kv >= near[h]))
    spec = run_checked(mask=ao.causal() & m)
    assert 'attn.name = "allowed"' in spec.text and 'attn.name = "near"' in spec.text
    with pytest.raises(ao.TraceError) as info:
        ao.Spec(mask=ao.or_(lambda b, h, q, kv: q > kv, lambda b, h: b))
    assert info.value.construct == "signature"
