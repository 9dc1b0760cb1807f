"""Quantized Q K^T from Python: the zoo's SageAttention-style INT8 spec and
BinaryAttention (``zoo/quantization/``) run through ``tile_program=True``
against the float64 reference; a spec with pre-quantized int8 Q and K takes
numpy int8 arrays and its scale operands as keyword operands; the default
tiled path refuses quantization with the C++ lowering's diagnostic.
"""

import os

import numpy as np
import pytest

import attn_opt as ao
from attn_opt.errors import CompileError, SpecError
from conftest import make_qkv

SOURCE_DIR = os.path.join(os.path.dirname(__file__), "..", "..")
ZOO = os.path.join(SOURCE_DIR, "zoo", "quantization")

INT8_SPEC = """
func.func @int8(%q: tensor<?x?x?x?xi8>, %k: tensor<?x?x?x?xi8>, %v: tensor<?x?x?x?xf32>,
                %sq: tensor<1x?x1xf32> {attn.name = "sq"}, %sk: tensor<?x?x?xf32> {attn.name = "sk"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x?x1xf32>) k_scale(%sk : tensor<?x?x?xf32>)
       mask(#attn.causal) quantization(#attn.quantized_qk<scheme = int8, k_block = 16>)
       : tensor<?x?x?x?xi8>, tensor<?x?x?x?xi8>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
"""


def test_int8_dot_kind_follows_the_host():
    """The tile program's INT8 Q K^T kernel uses vpdpbusd exactly where
    the host has it (the JIT's automatic choice), else its emulation."""
    spec = ao.parse_file(os.path.join(ZOO, "sage_int8.mlir"))
    q, k, v = make_qkv((1, 2, 2, 40, 40, 16), "bf16", 0)
    kernel = ao.compile(spec, q, k, v, tile_program=True)
    expected = "vnni" if ao.host_has_int8_dot(kernel.vector_width) else "emulated"
    assert kernel.int8_dot == expected
    assert ao.compare(kernel(q, k, v), ao.reference(spec, q, k, v)).passed
    portable = ao.compile(spec, q, k, v, tile_program=True, portable_tiles=True)
    assert portable.int8_dot == "off"


@pytest.mark.parametrize("shape", [(1, 2, 1, 1, 1, 8), (1, 2, 2, 37, 100, 16)])
def test_sage_int8_matches_reference(shape):
    spec = ao.parse_file(os.path.join(ZOO, "sage_int8.mlir"))
    q, k, v = make_qkv(shape, "bf16", 0)
    out = ao.run(spec, q, k, v, tile_program=True)
    c = ao.compare(out, ao.reference(spec, q, k, v))
    assert c.passed, str(c)


def test_int8_operands_match_reference():
    spec = ao.parse(INT8_SPEC)
    rng = np.random.default_rng(3)
    b, h, n, d = 1, 2, 40, 16
    q = rng.integers(-127, 128, (b, h, n, d)).astype(np.int8)
    k = rng.integers(-127, 128, (b, h, n, d)).astype(np.int8)
    v = rng.standard_normal((b, h, n, d)).astype(np.float32)
    sq = rng.uniform(0.005, 0.01, (1, h, 1)).astype(np.float32)
    sk = rng.uniform(0.005, 0.01, (b, h, 3)).astype(np.float32)
    out = ao.run(spec, q, k, v, sq=sq, sk=sk, tile_program=True)
    c = ao.compare(out, ao.reference(spec, q, k, v, sq=sq, sk=sk))
    assert c.passed, str(c)


def test_binaryattention_other_lowerings_refuse():
    spec = ao.parse_file(os.path.join(ZOO, "binaryattention.mlir"))
    q, k, v = make_qkv((1, 2, 2, 20, 20, 8), "f32", 0)
    alpha = np.ones((1, 2, 1), np.float32)
    bias = np.zeros((1, 2, 20, 20), np.float32)
    for lowering in (dict(tiled=False),):
        with pytest.raises(CompileError, match="quantization is lowered through the tile program only"):
            ao.run(spec, q, k, v, q_scale=alpha, bias=bias, **lowering)


def test_bad_scales_and_int8_values_raise():
    # Compiled kernels do not check values: the package does, as attn-run.
    spec = ao.parse(INT8_SPEC)
    rng = np.random.default_rng(4)
    b, h, n, d = 1, 2, 20, 16
    q = rng.integers(-127, 128, (b, h, n, d)).astype(np.int8)
    k = rng.integers(-127, 128, (b, h, n, d)).astype(np.int8)
    v = rng.standard_normal((b, h, n, d)).astype(np.float32)
    sq = np.full((1, h, 1), 0.01, np.float32)
    sk = np.full((b, h, 2), 0.01, np.float32)
    for bad in (0.0, -0.01, np.inf, np.nan):
        wrong = sk.copy()
        wrong[0, 1, 1] = bad
        with pytest.raises(ValueError, match="argument 'sk': element 3 .* finite and positive"):
            ao.run(spec, q, k, v, sq=sq, sk=wrong, tile_program=True)
        wrong_q = sq.copy()
        wrong_q[0, 1, 0] = bad
        with pytest.raises(ValueError, match="argument 'sq': element 1 .* finite"):
            ao.reference(spec, q, k, v, sq=wrong_q, sk=sk)
    q128 = q.copy()
    q128[0, 0, 3, 5] = -128
    with pytest.raises(ValueError, match=r"argument 'q': element 53 is -128"):
        ao.run(spec, q128, k, v, sq=sq, sk=sk, tile_program=True)


def test_zipcache_salient_flags():
    """ZipCache (zoo Q06): salient key tokens at 8 bits, the others at 4,
    against the float query; the flags are an i8 operand, and a flag other
    than 0 or 1 raises (compiled kernels read any nonzero flag as 1)."""
    spec = ao.parse_file(os.path.join(ZOO, "zipcache.mlir"))
    q, k, _ = make_qkv((1, 2, 1, 37, 45, 16), "bf16", 0)
    rng = np.random.default_rng(5)
    flags = (rng.random((1, 1, 45)) < 0.25).astype(np.int8)
    # The value cache: i8 codes, one scale per token.
    v = rng.integers(-127, 128, (1, 1, 45, 16)).astype(np.int8)
    sv = rng.uniform(0.005, 0.02, (1, 1, 45)).astype(np.float32)
    out = ao.run(spec, q, k, v, k_salient=flags, v_scale=sv)
    c = ao.compare(out, ao.reference(spec, q, k, v, k_salient=flags, v_scale=sv))
    assert c.passed, str(c)
    wrong = flags.copy()
    wrong[0, 0, 7] = 3
    with pytest.raises(ValueError, match=r"argument 'k_salient': element 7 is 3.0: a salient flag is 0 or 1"):
        ao.run(spec, q, k, v, k_salient=wrong, v_scale=sv)


def test_bipft_low_rank_term():
    """BiPFT (zoo Q04): signs with a per-head scale plus a low-rank score
    term (q U) . (k W), against the reference; factors of the wrong rank are
    refused with the verifier's located error."""
    spec = ao.parse_file(os.path.join(ZOO, "bipft.mlir"))
    q, k, v = make_qkv((1, 4, 2, 33, 41, 16), "f32", 0)
    rng = np.random.default_rng(6)
    alpha = np.full((1, 4, 1), 0.3, np.float32)
    u = (rng.standard_normal((4, 16, 3)) / 4).astype(np.float32)
    w = (rng.standard_normal((2, 16, 3)) / 4).astype(np.float32)
    ops = dict(q_scale=alpha, low_rank_u=u, low_rank_w=w)
    c = ao.compare(ao.run(spec, q, k, v, **ops), ao.reference(spec, q, k, v, **ops))
    assert c.passed, str(c)
    with pytest.raises(SpecError, match=r"bipft.mlir:34:8: error: .attn.attention. op low_rank W dimension 2 \(rank of U\) is 2 but must be 3"):
        ao.run(spec, q, k, v, q_scale=alpha, low_rank_u=u, low_rank_w=w[:, :, :2].copy())


FP8_SPEC = """
func.func @fp8(%q: tensor<?x?x?x?xf8E4M3FN>, %k: tensor<?x?x?x?xf8E5M2>, %v: tensor<?x?x?x?xf32>,
               %sq: tensor<1x?x1xf32> {attn.name = "sq"}, %sk: tensor<?x?x?xf32> {attn.name = "sk"})
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v q_scale(%sq : tensor<1x?x1xf32>) k_scale(%sk : tensor<?x?x?xf32>)
       mask(#attn.causal) quantization(#attn.quantized_qk<scheme = fp8_e4m3, k_block = 16>)
       : tensor<?x?x?x?xf8E4M3FN>, tensor<?x?x?x?xf8E5M2>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
"""


def _fp8_bits(rng, shape, bad):
    x = rng.integers(0, 256, shape)
    return np.where(np.isin(x, bad), 0, x).astype(np.uint8)


def test_fp8_operands_match_reference():
    """Pre-quantized FP8 q and k pass as uint8 arrays of their bit patterns;
    NaN patterns (and e5m2 infinities) raise ValueError, as do other dtypes."""
    spec = ao.parse(FP8_SPEC.replace("f8E5M2", "f8E4M3FN"))
    rng = np.random.default_rng(5)
    b, h, n, d = 1, 2, 40, 16
    q = _fp8_bits(rng, (b, h, n, d), [0x7F, 0xFF])
    k = _fp8_bits(rng, (b, h, n, d), [0x7F, 0xFF])
    v = rng.standard_normal((b, h, n, d)).astype(np.float32)
    sq = np.full((1, h, 1), 0.01, np.float32)
    sk = rng.uniform(0.001, 0.01, (1, h, 3)).astype(np.float32)
    out = ao.run(spec, q, k, v, tile_program=True, sq=sq, sk=sk)
    c = ao.compare(out, ao.reference(spec, q, k, v, sq=sq, sk=sk))
    assert c.passed, str(c)
    bad = k.copy()
    bad[0, 1, 2, 3] = 0xFF
    with pytest.raises(ValueError, match="element 675 is the bit pattern 0xff"):
        ao.run(spec, q, bad, v, tile_program=True, sq=sq, sk=sk)
    with pytest.raises(TypeError, match="as a uint8 array of their bit patterns"):
        ao.run(spec, q, k.astype(np.float32), v, tile_program=True, sq=sq, sk=sk)


def test_fp8_scheme_refuses_the_other_format():
    with pytest.raises(SpecError, match="an 'f8E5M2' key needs"):
        ao.parse(FP8_SPEC)


VALUE_CACHE_SPEC = """
func.func @value_cache(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xVTYPE>,
                       %sv: tensor<?x?x?xf32> {attn.name = "sv"}) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v v_scale(%sv : tensor<?x?x?xf32>) mask(#attn.causal)
       value_quantization(#attn.quantized_v<scheme = SCHEME, per = PER>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xVTYPE> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
"""


def _value_cache_spec(vtype, scheme, per):
    return ao.parse(VALUE_CACHE_SPEC.replace("VTYPE", vtype).replace("SCHEME", scheme).replace("PER", per))


@pytest.mark.parametrize("seed", [0, 1])
def test_value_cache_matches_reference(seed):
    """A pre-quantized V (#attn.quantized_v): int8 values per channel and
    FP8 e4m3 values (uint8 bit patterns) per token pass with their v_scale
    through ao.run; both match the float64 reference (values times scales),
    at a length that is no multiple of the tiles and at one token."""
    rng = np.random.default_rng(seed)
    for (b, h, n, d) in [(1, 2, 37, 16), (1, 2, 1, 8)]:
        q = rng.standard_normal((b, h, n, d)).astype(np.float32)
        k = rng.standard_normal((b, h, n, d)).astype(np.float32)
        v8 = rng.integers(-127, 128, (b, h, n, d)).astype(np.int8)
        sc = rng.uniform(0.005, 0.02, (b, h, d)).astype(np.float32)
        spec = _value_cache_spec("i8", "int8", "channel")
        out = ao.run(spec, q, k, v8, sv=sc)
        c = ao.compare(out, ao.reference(spec, q, k, v8, sv=sc))
        assert c.passed, str(c)
        vf = _fp8_bits(rng, (b, h, n, d), [0x7F, 0xFF])
        st = rng.uniform(0.001, 0.01, (b, h, n)).astype(np.float32)
        spec = _value_cache_spec("f8E4M3FN", "fp8_e4m3", "token")
        out = ao.run(spec, q, k, vf, sv=st)
        c = ao.compare(out, ao.reference(spec, q, k, vf, sv=st))
        assert c.passed, str(c)


def test_value_cache_bad_values_raise():
    """Zero, negative, infinite and NaN scales, -128 and FP8 NaN patterns
    raise ValueError (compiled kernels do not check values); a float V for
    a declared cache is the verifier's located error; the untiled lowering
    refuses by name."""
    rng = np.random.default_rng(7)
    b, h, n, d = 1, 2, 20, 16
    q = rng.standard_normal((b, h, n, d)).astype(np.float32)
    k = rng.standard_normal((b, h, n, d)).astype(np.float32)
    v8 = rng.integers(-127, 128, (b, h, n, d)).astype(np.int8)
    st = np.full((b, h, n), 0.01, np.float32)
    spec = _value_cache_spec("i8", "int8", "token")
    for bad in (0.0, -0.01, np.inf, np.nan):
        wrong = st.copy()
        wrong[0, 1, 3] = bad
        with pytest.raises(ValueError, match="argument 'sv': element 23 .* finite and positive"):
            ao.run(spec, q, k, v8, sv=wrong)
        with pytest.raises(ValueError, match="argument 'sv': element 23 .* finite and positive"):
            ao.reference(spec, q, k, v8, sv=wrong)
    v128 = v8.copy()
    v128[0, 0, 2, 5] = -128
    with pytest.raises(ValueError, match=r"argument 'v': element 37 is -128"):
        ao.run(spec, q, k, v128, sv=st)
    vf = _fp8_bits(rng, (b, h, n, d), [0x7F, 0xFF])
    vf[0, 1, 0, 0] = 0xFF
    fp8 = _value_cache_spec("f8E4M3FN", "fp8_e4m3", "token")
    with pytest.raises(ValueError, match="element 320 is the bit pattern 0xff"):
        ao.run(fp8, q, k, vf, sv=st)
    with pytest.raises(CompileError, match="a value cache is lowered through the tile program only"):
        ao.run(spec, q, k, v8, sv=st, tiled=False)
