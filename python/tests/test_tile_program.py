"""Compile once, run at any length: ``tile_program=True``.

One compilation of a spec with dynamic extents (through attn-to-tile and
its loops lowering) serves every length: each test compiles once, checks
that the cache made exactly one kernel, then runs at several lengths
(Nq = Nk, Nq < Nk, Nq > Nk, GQA, MQA) and seeds against the float64
reference, at the tolerances of ``ao.tolerance`` (1e-5 for f32, 1e-2 for
f16 / bf16).
"""

import numpy as np
import pytest

import attn_opt as ao
from attn_opt.errors import SpecError
from conftest import make_qkv

# (B, Hq, Hkv, Nq, Nk, D[, Dv]): Nq = Nk = 1, 37, 100; Nq < Nk and Nq > Nk;
# GQA (4 / 2), MQA (4 / 1), Dv != D.
SHAPES = [(1, 4, 4, 1, 1, 16), (2, 4, 2, 37, 37, 16), (1, 4, 1, 100, 100, 8),
          (2, 4, 4, 5, 29, 8, 12), (1, 4, 2, 23, 9, 16)]
SEEDS = [0, 1, 2]
DTYPES = ["f32", "f16", "bf16"]
W = 7  # sliding window: W keys, the query included

MASKS = {
    "none": lambda: None,
    "causal": ao.causal,
    "sliding_window": lambda: ao.causal() & ao.window(W - 1),
    "traced_window": lambda: (lambda b, h, q, kv: (q >= kv) & (q - kv < W)),
}


def compiled_kernels():
    """Kernels the cache has compiled so far (held or evicted)."""
    info = ao.cache_info()
    return info["kernels"] + info["evictions"]


def compile_once(spec, *args, **kwargs):
    """Compiles with tile_program=True: one cache lookup, which compiled
    unless an earlier test of this file compiled the same spec."""
    before, hits = compiled_kernels(), ao.cache_info()["hits"]
    kernel = ao.compile(spec, *args, tile_program=True, **kwargs)
    assert (compiled_kernels() - before) + (ao.cache_info()["hits"] - hits) == 1
    assert kernel.tile_program
    return kernel


def check(out, ref, dtype):
    c = ao.compare(out, ref)
    assert c.passed, c
    assert c.tolerance == (1e-5 if dtype == "f32" else 1e-2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mask", list(MASKS))
def test_one_kernel_every_length(mask, dtype):
    spec = ao.Spec(mask=MASKS[mask](), dtype=dtype)
    kernel = compile_once(spec, *make_qkv((1, 2, 2, 16, 16, 16), dtype))
    after_compile = ao.cache_info()
    for shape in SHAPES:
        for seed in SEEDS:
            args = make_qkv(shape, dtype, seed)
            out = kernel(*args)
            b, hq, nq = shape[0], shape[1], shape[3]
            dv = shape[6] if len(shape) > 6 else shape[5]
            assert out.shape == (b, hq, nq, dv)
            assert out.dtype == args[0].dtype
            check(out, ao.reference(spec, *args), dtype)
    # Running touched no cache entry: nothing compiled, nothing looked up.
    assert ao.cache_info() == after_compile


def test_cache_key_has_no_lengths():
    spec = ao.Spec(mask=ao.causal() & ao.window(11))  # compiled by no other test
    before, hits = compiled_kernels(), ao.cache_info()["hits"]
    first = ao.compile(spec, *make_qkv((1, 4, 2, 37, 37, 16)), tile_program=True)
    assert compiled_kernels() == before + 1
    assert ao.cache_info()["hits"] == hits
    before = compiled_kernels()
    for shape in [(2, 4, 4, 100, 100, 8), (1, 4, 1, 5, 29, 16)]:
        again = ao.compile(spec, *make_qkv(shape), tile_program=True)
        assert again._kernel.function_id == first._kernel.function_id
        assert again.compile_seconds == first.compile_seconds
    assert compiled_kernels() == before
    assert ao.cache_info()["hits"] == hits + 2
    # ao.run: the same kernel at every length.
    for seed, shape in enumerate([(1, 4, 2, 1, 1, 16), (1, 4, 2, 23, 9, 16),
                                  (2, 4, 4, 5, 29, 8, 12)]):
        args = make_qkv(shape, "f32", seed)
        check(ao.run(spec, *args, tile_program=True), ao.reference(spec, *args), "f32")
    assert compiled_kernels() == before
    assert ao.cache_info()["hits"] == hits + 5
    # A static compilation is keyed by its shapes, as before.
    static = ao.compile(spec, *make_qkv((1, 4, 2, 37, 37, 16)), tiled=False)
    assert not static.tile_program
    assert static._kernel.function_id != first._kernel.function_id
    assert compiled_kernels() == before + 1


def test_lse_and_fully_masked_rows():
    """Nq > Nk with a bottom-right causal mask: the first Nq - Nk rows see
    no key (output 0, lse -inf); the kernel was compiled at Nq = Nk."""
    spec = ao.Spec(mask=ao.causal(), lse=True)
    kernel = compile_once(spec, *make_qkv((1, 4, 2, 8, 8, 16)))
    for shape in [(1, 4, 2, 23, 9, 16), (2, 4, 1, 40, 3, 8), (1, 4, 2, 37, 37, 16)]:
        nq, nk = shape[3], shape[4]
        for seed in SEEDS:
            args = make_qkv(shape, "f32", seed)
            out, lse = kernel(*args, return_lse=True)
            ref, ref_lse = ao.reference(spec, *args, return_lse=True)
            check(out, ref, "f32")
            assert ao.compare(lse, ref_lse, 1e-5).passed
            masked = max(nq - nk, 0)
            assert np.all(out[:, :, :masked] == 0)
            assert np.all(np.isneginf(lse[:, :, :masked]))
            assert np.all(np.isfinite(lse[:, :, masked:]))


def test_operands_follow_the_lengths():
    """Operands with dynamic extents (bias, segment ids) at every length."""
    rng = np.random.default_rng(7)
    bias_spec = ao.Spec(mask=ao.causal(), bias=True)
    doc_spec = ao.Spec(mask=ao.document())
    bias_kernel = doc_kernel = None
    for shape in [(1, 4, 2, 16, 16, 8), (2, 4, 2, 37, 37, 16), (1, 4, 4, 5, 29, 8),
                  (1, 4, 1, 23, 9, 16)]:
        b, hq, nq, nk = shape[0], shape[1], shape[3], shape[4]
        args = make_qkv(shape, "f32", nq)
        bias = rng.standard_normal((b, hq, nq, nk)).astype(np.float32)
        ids = dict(q_segment_ids=np.sort(rng.integers(0, 3, (b, nq))).astype(np.int32),
                   kv_segment_ids=np.sort(rng.integers(0, 3, (b, nk))).astype(np.int32))
        if bias_kernel is None:
            bias_kernel = compile_once(bias_spec, *args, bias=bias)
            doc_kernel = compile_once(doc_spec, *args, **ids)
        check(bias_kernel(*args, bias=bias), ao.reference(bias_spec, *args, bias=bias), "f32")
        check(doc_kernel(*args, **ids), ao.reference(doc_spec, *args, **ids), "f32")


def test_tile_sizes():
    spec = ao.Spec(mask=ao.causal() & ao.window(W - 1))
    default = ao.compile(spec, *make_qkv((1, 2, 2, 8, 8, 8)), tile_program=True)
    # tile_q 0: four vectors (32 rows without the vector kernels).
    assert (default.tile_q, default.tile_kv) == (4 * ao.host_vector_width(), 64)
    # The key loop's vector kernels at the host's width, unless asked.
    assert default.vector_width == ao.host_vector_width()
    portable = ao.compile(spec, *make_qkv((1, 2, 2, 8, 8, 8)), tile_program=True,
                          portable_tiles=True)
    assert portable.vector_width == 0 and portable.tile_q == 32
    for width in (8, 16):
        kernel = ao.compile(spec, *make_qkv((1, 2, 2, 8, 8, 8)), tile_program=True,
                            vector_width=width, tile_q=10, tile_kv=16)
        assert kernel.vector_width == width
        for shape in [(1, 4, 2, 37, 37, 16), (1, 4, 4, 5, 29, 8)]:
            args = make_qkv(shape, "f32", 3)
            check(kernel(*args), ao.reference(spec, *args), "f32")
            check(portable(*args), ao.reference(spec, *args), "f32")
    # Tiles dividing none of the lengths; the largest score tile the tile
    # program accepts (2^20 elements).
    for tile_q, tile_kv in [(6, 7), (1, 1), (1024, 1024)]:
        kernel = ao.compile(spec, *make_qkv((1, 2, 2, 8, 8, 8)), tile_program=True,
                            tile_q=tile_q, tile_kv=tile_kv)
        assert (kernel.tile_q, kernel.tile_kv) == (tile_q, tile_kv)
        for shape in [(1, 4, 2, 37, 37, 16), (1, 4, 4, 5, 29, 8)]:
            args = make_qkv(shape, "f32", 3)
            check(kernel(*args), ao.reference(spec, *args), "f32")


def test_threads_do_not_change_results():
    # The work items run on `threads` threads from inside one call; every
    # item is computed alike wherever it runs: the same bits.
    spec = ao.Spec(mask=ao.causal())
    example = make_qkv((1, 2, 2, 8, 8, 8))
    kernels = [ao.compile(spec, *example, tile_program=True, tile_q=6,
                          tile_kv=7, threads=t) for t in (1, 2, 5)]
    for shape in [(1, 4, 2, 37, 37, 8), (2, 2, 2, 1, 1, 8), (1, 2, 1, 5, 90, 8)]:
        args = make_qkv(shape, "f32", 4)
        outs = [kernel(*args) for kernel in kernels]
        check(outs[0], ao.reference(spec, *args), "f32")
        for out in outs[1:]:
            assert np.array_equal(out, outs[0])


def test_static_extents_stay_checked():
    text = """\
func.func @spec(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>,
                %v: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
         -> tensor<?x?x?x16xf32>
  return %o : tensor<?x?x?x16xf32>
}
"""
    spec = ao.parse(text)
    with pytest.raises(ValueError, match="dimension 3 must be 16"):
        ao.compile(spec, *make_qkv((1, 2, 2, 8, 8, 8)), tile_program=True)
    kernel = compile_once(spec, *make_qkv((1, 2, 2, 8, 8, 16)))
    assert kernel.shapes == [(None, None, None, 16)] * 3
    args = make_qkv((2, 4, 2, 37, 29, 16), "f32", 1)
    check(kernel(*args), ao.reference(spec, *args), "f32")
    with pytest.raises(ValueError, match="dimension 3 must be 16"):
        kernel(*make_qkv((1, 2, 2, 8, 8, 8)))


def test_repr_and_options():
    spec = ao.Spec(mask=ao.causal())
    args = make_qkv((1, 2, 2, 8, 8, 8))
    kernel = ao.compile(spec, *args, tile_program=True, threads=3)
    assert kernel.tile_program is True
    assert kernel.options["tile_program"] is True
    assert kernel.shapes == [(None, None, None, None)] * 3
    assert "tile program (any length)" in repr(kernel)
    # The default is the tile program.
    default = ao.compile(spec, *args, threads=3)
    assert default.tile_program and default._kernel.function_id == kernel._kernel.function_id
    static = ao.compile(spec, *args, tiled=False)
    assert static.tile_program is False
    assert static.options["tile_program"] is False
    assert "tile program" not in repr(static).split("options=")[0]
    assert static.shapes == [(1, 2, 8, 8)] * 3


def test_invalid_options():
    spec = ao.Spec(mask=ao.causal())
    args = make_qkv((1, 2, 2, 8, 8, 8))
    with pytest.raises(ValueError, match="tiled=False"):
        ao.compile(spec, *args, tile_program=True, tiled=False)
    with pytest.raises(ValueError, match="vector_width"):
        ao.run(spec, *args, tile_program=True, vector_width=12)
    with pytest.raises(ValueError, match="portable_tiles"):
        ao.run(spec, *args, tile_program=True, portable_tiles=True, vector_width=8)
    with pytest.raises(ValueError, match="portable_tiles is an option of the tile program, "
                       "not of the untiled lowering"):
        ao.compile(spec, *args, tiled=False, portable_tiles=True)
    with pytest.raises(TypeError, match="tiled must be a bool"):
        ao.compile(spec, *args, tiled=None)
    with pytest.raises(TypeError, match="portable_tiles must be a bool"):
        ao.compile(spec, *args, tile_program=True, portable_tiles=1)
    with pytest.raises(TypeError, match="tile_program must be a bool or None"):
        ao.compile(spec, *args, tile_program="yes")
    for kw in (dict(tile_q=-1), dict(tile_kv=0), dict(tile_q=ao._api._core.MAX_TILE_Q + 1),
               dict(tile_kv=ao._api._core.MAX_TILE_KV + 1)):
        with pytest.raises(ValueError, match="tile_"):
            ao.compile(spec, *args, tile_program=True, **kw)
    # A score tile over 2^20 elements (one per work item) is refused.
    with pytest.raises(ValueError, match="score tiles hold at most 1048576 elements"):
        ao.compile(spec, *args, tile_program=True, tile_q=1024, tile_kv=4096)
    # The C++ layer refuses them too (ValueError, not CompileError).
    with pytest.raises(ValueError, match="tile_q must be in"):
        ao._api._core.compile(spec.text, spec.filename, spec.entry,
                              [("f32", [-1] * 4)] * 3, ["f32"], "tile_program", 0, 0, 0, 0)
    with pytest.raises(ValueError, match="lowering must be tile_program or untiled"):
        ao._api._core.compile(spec.text, spec.filename, spec.entry,
                              [("f32", [-1] * 4)] * 3, ["f32"], "tiled", 0, 64, 0, 0)
    # Dynamic extents without the tile program.
    for lowering in ("untiled",):
        with pytest.raises(ValueError, match="need tile_program"):
            ao._api._core.compile(spec.text, spec.filename, spec.entry,
                                  [("f32", [-1] * 4)] * 3, ["f32"], lowering, 0, 64, 0, 0)


def test_errors_after_compile():
    """Arrays the spec does not accept raise typed exceptions at every call,
    never run: the kernel itself checks only dtypes, ranks and static
    extents."""
    spec = ao.Spec(mask=ao.causal())
    kernel = compile_once(spec, *make_qkv((1, 4, 2, 8, 8, 16)))
    q, k, v = make_qkv((1, 4, 2, 9, 11, 16))
    with pytest.raises(ValueError, match="rank 4"):
        kernel(q[0], k, v)
    with pytest.raises(ValueError, match="rank 4"):
        kernel(q, k, v[..., None])
    with pytest.raises(TypeError, match="float32"):
        kernel(q.astype(np.float64), k, v)
    with pytest.raises(TypeError, match="float32"):
        kernel(q, k.astype(np.float16), v)
    with pytest.raises(ValueError, match="head_dim"):
        kernel(q, k[..., :8], v)
    with pytest.raises(ValueError, match="keys"):
        kernel(q, k, v[:, :, :5])
    with pytest.raises(ValueError, match="batch"):
        kernel(q, np.concatenate([k, k]), np.concatenate([v, v]))
    with pytest.raises(ValueError, match="multiple of key/value"):
        kernel(q[:, :3], k, v)
    with pytest.raises(SpecError, match="non-zero extents"):
        kernel(q[:, :, :0], k, v)
    with pytest.raises(ValueError, match="without the logsumexp"):
        kernel(q, k, v, return_lse=True)
    # Operands inconsistent with q, k, v: the verifier's located error.
    doc = ao.Spec(mask=ao.document())
    ids = np.zeros((1, 8), np.int32)
    doc_kernel = compile_once(doc, *make_qkv((1, 2, 2, 8, 8, 16)), segment_ids=ids)
    with pytest.raises(SpecError, match="segment_ids dimension 1") as e:
        doc_kernel(*make_qkv((1, 2, 2, 9, 9, 16)), segment_ids=ids)
    assert e.value.line > 0
    bias_spec = ao.Spec(bias=True)
    q, k, v = make_qkv((1, 2, 2, 8, 8, 16))
    bias_kernel = compile_once(bias_spec, q, k, v, bias=np.zeros((1, 2, 8, 8), np.float32))
    with pytest.raises(SpecError, match="bias"):
        bias_kernel(q, k, v, bias=np.zeros((1, 2, 8, 7), np.float32))
    with pytest.raises(TypeError, match="missing operand 'bias'"):
        bias_kernel(q, k, v)
    # The good shapes still run after the errors.
    check(bias_kernel(q, k, v, bias=np.zeros((1, 2, 8, 8), np.float32)),
          ao.reference(bias_spec, q, k, v, bias=np.zeros((1, 2, 8, 8), np.float32)), "f32")
    # An inconsistent example is refused before anything compiles.
    before = compiled_kernels()
    with pytest.raises(SpecError, match="bias"):
        ao.compile(ao.Spec(bias=True, mask=ao.causal()), q, k, v,
                   bias=np.zeros((1, 2, 8, 7), np.float32), tile_program=True)
    assert compiled_kernels() == before


LINEAR = """\
func.func @ssd(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
               %v: tensor<?x?x?x?xf32>, %a: tensor<?x?x?xf32> {attn.name = "a"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v decay(%a : tensor<?x?x?xf32>)
       feature_map(#attn.feature_map<elu_plus_one>) mask(#attn.causal)
       normalization(#attn.normalize<identity, l1>) scale(1.0)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
"""


def test_linear_attention_with_decay():
    """Linear attention (feature map, data-dependent decay) runs through the
    tile program only; decays outside (0, 1] are refused before running."""
    spec = ao.parse(LINEAR)
    rng = np.random.default_rng(0)
    for b, h, n in [(1, 2, 1), (2, 2, 37), (1, 4, 100)]:
        q, k, v = make_qkv((b, h, h, n, n, 8), "f32", n)
        a = rng.uniform(0.5, 1.0, (b, h, n)).astype(np.float32)
        out = ao.run(spec, q, k, v, a=a, tile_program=True)
        check(out, ao.reference(spec, q, k, v, a=a), "f32")
    q, k, v = make_qkv((1, 2, 2, 5, 5, 8))
    for bad in (0.0, -1.0, 1.5, np.nan):
        a = np.full((1, 2, 5), 0.9, np.float32)
        a[0, 1, 3] = bad
        with pytest.raises(ValueError, match=r"argument 'a': element 8 is .*: a decay must lie in \(0, 1\]"):
            ao.run(spec, q, k, v, a=a, tile_program=True)
        with pytest.raises(ValueError, match="a decay must lie in"):
            ao.reference(spec, q, k, v, a=a)
    with pytest.raises(ao.CompileError, match="lowered through the tile program only"):
        ao.run(spec, q, k, v, a=np.full((1, 2, 5), 0.9, np.float32), tiled=False)
