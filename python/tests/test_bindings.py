"""Every binding of attn_opt: parse/verify, compile/run, reference, block
maps, PTX, comparisons, bf16 helpers and the kernel cache."""

import os

import numpy as np
import pytest

import attn_opt as ao
from conftest import SOURCE_DIR, SPEC_TEXT, assert_matches_reference, make_qkv


# -- parse / verify -------------------------------------------------------- #


def test_parse_text(spec_text):
    spec = ao.parse(spec_text)
    assert spec.entry == "spec"
    assert spec.dtype == "f32"
    assert not spec.has_lse
    assert spec.arg_names == ["q", "k", "v"]
    info = ao.verify(spec_text)
    assert info["mask"] == "#attn.causal"
    assert info["normalization"] == "softmax"
    assert [a["role"] for a in info["args"]] == ["query", "key", "value"]
    assert info["args"][0]["shape"] == [None, None, None, None]
    assert info["args"][0]["dtype"] == "f32"


def test_parse_file(tmp_path):
    path = tmp_path / "causal.mlir"
    path.write_text(SPEC_TEXT)
    spec = ao.parse_file(path)
    assert spec.filename == str(path)
    assert spec.text == SPEC_TEXT


def test_parse_zoo_file():
    path = os.path.join(SOURCE_DIR, "zoo", "hybrids", "gemma2.mlir")
    if not os.path.exists(path):
        pytest.skip("zoo spec not found")
    spec = ao.parse_file(path)
    assert spec.dtype == "bf16"
    q, k, v = make_qkv((1, 4, 2, 33, 33, 16), "bf16", seed=3)
    out = ao.run(spec, q, k, v)
    assert out.dtype == np.uint16
    assert ao.compare(out, ao.reference(spec, q, k, v)).passed


def test_parse_entry_selection(spec_text):
    two = spec_text + spec_text.replace("@spec", "@other").replace("causal", "full")
    with pytest.raises(ao.SpecError, match="several functions"):
        ao.parse(two)
    assert ao.parse(two, entry="other").info["mask"] == "#attn.full"
    with pytest.raises(ao.SpecError, match="no function named 'missing'"):
        ao.parse(two, entry="missing")


def test_verify_static_shapes():
    text = SPEC_TEXT.replace("?x?x?x?", "1x2x8x4")
    info = ao.verify(text)
    assert info["args"][1]["shape"] == [1, 2, 8, 4]


def test_spec_error_location_from_text(spec_text):
    bad = spec_text.replace("#attn.causal", "#attn.causl")
    with pytest.raises(ao.SpecError) as info:
        ao.parse(bad, filename="bad.mlir")
    e = info.value
    assert isinstance(e, ValueError)
    assert e.file == "bad.mlir"
    assert (e.line, e.col) == (3, 45)
    assert e.location == "bad.mlir:3:45"
    assert "causl" in e.message
    assert "bad.mlir:3:45: error:" in str(e)
    # The offending line is shown with a caret.
    assert "#attn.causl" in str(e) and "^" in str(e)
    assert e.diagnostics[0].severity == "error"


def test_spec_error_location_from_file(tmp_path):
    path = tmp_path / "bad.mlir"
    path.write_text(SPEC_TEXT.replace("mask(#attn.causal)",
                                      "mask(#attn.window<left = -1, right = 0>)"))
    with pytest.raises(ao.SpecError) as info:
        ao.parse_file(path)
    e = info.value
    assert e.file == str(path)
    assert e.line == 3
    assert "non-negative" in e.message or "left" in e.message


def test_spec_error_verifier(spec_text):
    bad = spec_text.replace("mask(#attn.causal)", "mask(#attn.document)")
    with pytest.raises(ao.SpecError, match="segment_ids") as info:
        ao.parse(bad, filename="doc.mlir")
    assert info.value.location.startswith("doc.mlir:3:")


def test_spec_error_syntax():
    with pytest.raises(ao.SpecError) as info:
        ao.parse("func.func @f(%q: tensor<?xf32>) {\n  return\n", filename="x.mlir")
    assert info.value.file == "x.mlir"
    assert info.value.line >= 1


def test_parse_rejects_non_text():
    with pytest.raises(TypeError):
        ao.parse(b"bytes")
    with pytest.raises(TypeError):
        ao.run(42, *make_qkv((1, 1, 1, 2, 2, 2)))


# -- compile / run ---------------------------------------------------------- #


def test_run_text_spec(spec_text):
    args = make_qkv((2, 4, 2, 29, 29, 16), seed=1)
    out = ao.run(spec_text, *args)
    assert out.shape == (2, 4, 29, 16) and out.dtype == np.float32
    assert ao.compare(out, ao.reference(spec_text, *args)).passed


@pytest.mark.parametrize("options", [
    dict(tiled=True), dict(tiled=False), dict(tile_program=True),
    dict(tile_q=8, tile_kv=16),
    dict(tile_q=16, tile_kv=8, threads=1), dict(threads=2),
    dict(vector_width=8), dict(vector_width=16),
    dict(tile_q=24, vector_width=16), dict(tile_q=12)])
def test_compile_options(spec_text, options):
    args = make_qkv((1, 4, 1, 45, 45, 8), seed=2)
    kernel = ao.compile(spec_text, *args, **options)
    assert isinstance(kernel, ao.Kernel)
    assert kernel.compile_seconds >= 0
    assert kernel.tile_program == options.get("tiled", True)
    out = kernel(*args)
    assert ao.compare(out, ao.reference(spec_text, *args)).passed


@pytest.mark.parametrize("requested,width,tile_q", [
    # (tile_q, vector_width) asked for -> (lanes, queries per tile) that ran:
    # an explicit width and tile are kept; the automatic tile is four vectors.
    ((8, 8), 8, 8), ((24, 16), 16, 24), ((12, 8), 8, 12), ((16, 16), 16, 16),
    ((0, 8), 8, 32), ((0, 16), 16, 64)])
def test_tiles_that_ran(spec_text, requested, width, tile_q):
    args = make_qkv((1, 2, 1, 37, 37, 8), seed=3)
    kernel = ao.compile(spec_text, *args, tile_q=requested[0],
                        vector_width=requested[1])
    assert (kernel.vector_width, kernel.tile_q, kernel.tile_kv) == (width, tile_q, 64)
    assert ao.compare(kernel(*args), ao.reference(spec_text, *args)).passed


def test_tiled_kernel_was_removed(spec_text):
    """tile_program=False selected the monolithic tiled kernel: a
    ValueError that names its replacement."""
    with pytest.raises(ValueError, match="was removed: the tile program"):
        ao.compile(spec_text, *make_qkv((1, 2, 1, 8, 8, 4)), tile_program=False)


def test_automatic_width_is_the_hosts(spec_text):
    args = make_qkv((1, 2, 1, 37, 37, 8), seed=3)
    kernel = ao.compile(spec_text, *args)
    assert kernel.vector_width == ao.host_vector_width()
    assert kernel.tile_q == 4 * kernel.vector_width
    untiled = ao.compile(spec_text, *args, tiled=False)
    assert (untiled.vector_width, untiled.tile_q, untiled.tile_kv) == (0, 0, 0)


def test_kernel_cache(spec_text):
    args = make_qkv((1, 2, 2, 13, 13, 4), seed=5)
    before = ao.cache_info()
    ao.run(spec_text, *args, tile_kv=5)
    mid = ao.cache_info()
    ao.run(spec_text, *args, tile_kv=5)
    after = ao.cache_info()
    # A miss adds a kernel, evicting the least recently used one when the
    # cache is full (earlier tests may have filled it).
    assert (mid["kernels"] + mid["evictions"]
            == before["kernels"] + before["evictions"] + 1)
    assert mid["kernels"] <= mid["capacity"] == 64
    assert after["kernels"] == mid["kernels"]
    assert after["evictions"] == mid["evictions"]
    assert after["hits"] == mid["hits"] + 1


def test_kernel_rejects_other_shapes(spec_text):
    """A kernel specialized to its shapes (the untiled lowering) refuses
    others; the tile program's serves them."""
    for lowering in (dict(tiled=False),):
        kernel = ao.compile(spec_text, *make_qkv((1, 2, 2, 8, 8, 4)), **lowering)
        with pytest.raises(ValueError, match="compiled for"):
            kernel(*make_qkv((1, 2, 2, 9, 9, 4)))
    generic = ao.compile(spec_text, *make_qkv((1, 2, 2, 8, 8, 4)))
    args = make_qkv((1, 2, 2, 9, 9, 4))
    assert ao.compare(generic(*args), ao.reference(spec_text, *args)).passed


def test_run_lse():
    spec = ao.Spec(mask=ao.causal())
    args = make_qkv((1, 4, 2, 23, 9, 16), seed=4)  # Nq > Nk: rows with no key
    out, lse = ao.run(spec, *args, return_lse=True)
    assert lse.shape == (1, 4, 23) and lse.dtype == np.float32
    assert np.isneginf(lse).sum() == 4 * (23 - 9)
    assert np.all(out[np.isneginf(lse)] == 0)
    ref, rlse = ao.reference(spec, *args, return_lse=True)
    assert ao.compare(out, ref).passed and ao.compare(lse, rlse, 1e-5).passed


def test_lse_needs_a_result_in_text_specs(spec_text):
    with pytest.raises(ValueError, match="logsumexp"):
        ao.run(spec_text, *make_qkv((1, 1, 1, 4, 4, 4)), return_lse=True)
    text = (spec_text.replace("-> tensor<?x?x?x?xf32> {", "-> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {")
            .replace("%o = ", "%o, %l = ")
            .replace("         -> tensor<?x?x?x?xf32>\n", "         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>\n")
            .replace("return %o : tensor<?x?x?x?xf32>", "return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>"))
    spec = ao.parse(text)
    assert spec.has_lse
    out, lse = ao.run(spec, *make_qkv((1, 1, 1, 4, 4, 4)), return_lse=True)
    assert lse.shape == (1, 1, 4)


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
def test_run_dtypes(dtype):
    spec = ao.Spec(mask=ao.causal(), dtype=dtype)
    args = make_qkv((1, 4, 2, 37, 37, 16), dtype, seed=7)
    out, _ = assert_matches_reference(spec, args)
    assert out.dtype == {"f32": np.float32, "f16": np.float16, "bf16": np.uint16}[dtype]


def test_run_operands_by_name():
    spec = ao.Spec(mask=ao.document(), bias=True)
    q, k, v = make_qkv((2, 2, 1, 17, 17, 8), seed=8)
    ids = np.sort(np.random.default_rng(8).integers(0, 3, (2, 17)), axis=1)
    bias = np.random.default_rng(9).standard_normal((2, 2, 17, 17))
    assert spec.arg_names == ["q", "k", "v", "bias", "q_segment_ids", "kv_segment_ids"]
    out = ao.run(spec, q, k, v, bias=bias, q_segment_ids=ids, kv_segment_ids=ids)
    out2 = ao.run(spec, q, k, v, bias=bias, segment_ids=ids.astype(np.int64))
    np.testing.assert_array_equal(out, out2)
    assert ao.compare(out, ao.reference(spec, q, k, v, bias=bias, segment_ids=ids)).passed


# -- reference ------------------------------------------------------------- #


def test_reference_is_float64_and_exact(spec_text):
    q, k, v = make_qkv((1, 1, 1, 3, 3, 2), seed=11)
    ref = ao.reference(spec_text, q, k, v)
    assert ref.dtype == np.float64
    qd, kd, vd = (x.astype(np.float64) for x in (q, k, v))
    s = qd[0, 0] @ kd[0, 0].T / np.sqrt(2.0)
    s[np.triu_indices(3, 1)] = -np.inf
    w = np.exp(s - s.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ref[0, 0], w @ vd[0, 0], rtol=1e-12, atol=1e-12)


# -- block maps ------------------------------------------------------------ #


def test_block_map_causal(spec_text):
    bm = ao.block_map(spec_text, 100, tile_q=32, tile_kv=32)
    assert isinstance(bm, ao.BlockMap)
    assert bm.kinds.dtype == np.uint8 and bm.kinds.shape == (4, 4)
    expected = np.array([[2, 0, 0, 0], [1, 2, 0, 0], [1, 1, 2, 0], [1, 1, 1, 2]])
    np.testing.assert_array_equal(bm.kinds, expected)
    assert bm.density_exact
    assert bm.density == pytest.approx(5050 / 10000)
    assert bm.counts == {"empty": 6, "full": 6, "partial": 4}
    assert str(bm).splitlines()[0] == "+..."


def test_block_map_window_and_per_head():
    spec = ao.Spec(mask=ao.per_head([ao.causal(), ao.and_(ao.causal(), ao.window(15))]))
    full = ao.block_map(spec, 64, head=0, tile_q=16, tile_kv=16)
    local = ao.block_map(spec, 64, head=1, tile_q=16, tile_kv=16)
    assert (local.kinds == ao.BlockMap.EMPTY).sum() > (full.kinds == ao.BlockMap.EMPTY).sum()
    assert local.density < full.density
    assert ao.verify(spec)["head_invariant"] is False


def test_block_map_region_mask():
    spec = ao.Spec(mask=lambda b, h, q, kv: kv <= q)
    bm = ao.block_map(spec, 64, tile_q=16, tile_kv=16)
    assert bm.kinds[0, 3] == ao.BlockMap.EMPTY
    assert bm.kinds[3, 0] == ao.BlockMap.FULL


def test_block_map_errors(spec_text):
    with pytest.raises(ao.SpecError):
        ao.block_map(spec_text, 64, tile_q=0)
    with pytest.raises(TypeError):
        ao.block_map(spec_text, 64.0)


# -- PTX ------------------------------------------------------------------- #


def test_ptx(spec_text):
    shapes = [(1, 2, 64, 64)] * 3
    if not ao.has_gpu_backend():
        with pytest.raises(NotImplementedError, match="GPU backend was not built"):
            ao.ptx(spec_text, shapes)
        return
    try:
        text = ao.ptx(spec_text, shapes, arch="sm_80")
    except ao.CompileError as e:  # the backend may not support every spec yet
        pytest.skip(f"GPU backend failed: {e}")
    assert ".target sm_80" in text or "sm_80" in text
    text2 = ao.ptx(spec_text, {"q": shapes[0], "k": shapes[1], "v": shapes[2]})
    assert text2 == text
    # A traced spec: the capture's shape comes from the bound array.
    slopes = np.array([0.5, 0.25], np.float32)
    traced = ao.Spec(mask=lambda b, h, q, kv: q >= kv,
                     score_mod=lambda s, b, h, q, kv: s - slopes[h] * ao.math.to_float(q - kv))
    assert ".target sm_90a" in ao.ptx(traced, {"q": shapes[0], "k": shapes[1], "v": shapes[2]},
                                      arch="sm_90a")
    # Newer architectures get the PTX version they need.
    assert ".version 8.6" in ao.ptx(spec_text, shapes, arch="sm_100")
    assert ".version 8.7" in ao.ptx(spec_text, shapes, arch="sm_120")
    # Unsupported architectures and options are refused by name, before
    # anything is compiled (sm_75 once died in instruction selection).
    for arch, message in (("sm_75", "'sm_75' is older than sm_80"),
                          ("", "unsupported GPU architecture ''"),
                          ("sm_999", "unsupported GPU architecture 'sm_999'")):
        with pytest.raises(ValueError, match=message):
            ao.ptx(spec_text, shapes, arch=arch)
    with pytest.raises(ValueError, match="optimization level must be 0-3"):
        ao.ptx(spec_text, shapes, opt_level=7)
    with pytest.raises(TypeError, match="missing the shape"):
        ao.ptx(spec_text, {"q": shapes[0]})
    with pytest.raises(ValueError, match="3 arguments"):
        ao.ptx(spec_text, shapes[:2])


# -- utilities --------------------------------------------------------------- #


def test_tolerance():
    assert ao.tolerance("f32") == 1e-5
    assert ao.tolerance(np.float16) == 1e-2
    assert ao.tolerance("bf16") == 1e-2


def test_compare():
    e = np.array([1.0, 2.0, -np.inf])
    assert ao.compare(np.array([1.0, 2.0, -np.inf], np.float32), e).passed
    c = ao.compare(np.array([1.0, 2.5, -np.inf], np.float32), e)
    assert not c.passed and c.max_abs_error == pytest.approx(0.5)
    c = ao.compare(np.array([1.0, np.nan, -np.inf], np.float32), e)
    assert not c.passed and c.non_finite == 1
    assert not ao.compare(np.array([1.0, 2.0, 0.0], np.float32), e).passed
    # NaN where the reference is NaN matches; NaN against a number or an
    # infinity does not, nor does an infinity of the other sign.
    n = np.array([1.0, np.nan, np.inf])
    assert ao.compare(np.array([1.0, np.nan, np.inf], np.float32), n).passed
    assert not ao.compare(np.array([1.0, 2.0, np.inf], np.float32), n).passed
    assert not ao.compare(np.array([1.0, np.nan, np.nan], np.float32), n).passed
    assert not ao.compare(np.array([1.0, np.nan, -np.inf], np.float32), n).passed
    with pytest.raises(ValueError):
        ao.compare(np.zeros(2), np.zeros(3))


def test_bf16_conversion():
    x = np.array([1.0, -2.5, 3.14159, 1e-3, 65504.0, np.inf, -np.inf], np.float32)
    bits = ao.to_bf16(x)
    assert bits.dtype == np.uint16
    back = ao.from_bf16(bits)
    np.testing.assert_allclose(back[:5], x[:5], rtol=2 ** -8)
    assert np.isinf(back[5]) and np.isinf(back[6])
    assert np.isnan(ao.from_bf16(ao.to_bf16(np.array([np.nan], np.float32))))[0]
    # Round to nearest even: 1 + 2^-8 is halfway between two bf16 values.
    assert ao.to_bf16(np.float32(1 + 2 ** -8)) == ao.to_bf16(np.float32(1.0))
    assert ao.to_bf16(np.float32(1 + 3 * 2 ** -8)) == 0x3F82
    with pytest.raises(TypeError):
        ao.from_bf16(np.zeros(2, np.float32))


def test_public_api_is_documented():
    doc = open(os.path.join(SOURCE_DIR, "docs", "python.md")).read()
    for name in ao.__all__:
        assert name in doc, f"{name} is not in docs/python.md"


def test_threads_share_the_cache():
    """Kernels compile and run from several Python threads (the GIL is
    released while compiling and running)."""
    from concurrent.futures import ThreadPoolExecutor
    spec = ao.Spec(mask=ao.causal() & ao.window(5), name="threaded")
    inputs = [make_qkv((1, 2, 1, 31, 31, 8), seed=s) for s in range(4)]
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda a: ao.run(spec, *a, threads=1), inputs * 2))
    for n, a in enumerate(inputs * 2):
        assert ao.compare(outs[n], ao.reference(spec, *a)).passed
    np.testing.assert_array_equal(outs[0], outs[4])


def test_cpp_exceptions_cross_the_binding():
    """The extension is built with C++ exceptions (LLVM's flags may disable
    them): errors thrown in C++ arrive as Python exceptions, not aborts."""
    from attn_opt import _core
    with pytest.raises(TypeError, match="unknown element type 'bogus'"):
        _core.tolerance_for("bogus")
    with pytest.raises(ValueError, match="tile_q must be in"):
        _core.compile(SPEC_TEXT, "x.mlir", "spec", [("f32", [1, 1, 1, 1])] * 3,
                      ["f32"], "tile_program", -1, 64, 0, 0)
    with pytest.raises(ao.SpecError):
        _core.bind("garbage", "g.mlir", "")
