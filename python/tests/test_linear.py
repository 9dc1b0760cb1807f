"""Linear attention from the Python front end: ``Spec(feature_map=...,
decay=...)`` and ``compile/run(..., tile_program=True, linear_chunk=...)``.

Every spec is compiled once per chunk (0: the quadratic form, 5 and 64: the
chunked O(N) form of causal specs) and run at several lengths (1, 37, 100;
Nq < Nk, Nq > Nk; GQA; Dv != D) and seeds against the float64 reference, at
the tolerances of ``ao.compare`` (1e-5 for f32, 1e-2 for bf16).
"""

import numpy as np
import pytest

import attn_opt as ao
from attn_opt.errors import CompileError, SpecError
from conftest import make_qkv

# (B, Hq, Hkv, Nq, Nk, D[, Dv])
SHAPES = [(1, 2, 2, 1, 1, 8), (2, 2, 2, 37, 37, 8), (1, 4, 4, 100, 100, 8),
          (1, 4, 4, 5, 29, 8, 12), (2, 4, 2, 37, 37, 16), (1, 2, 1, 23, 9, 8)]
SEEDS = [0, 1]
CHUNKS = [0, 5, 64]
DTYPES = ["f32", "bf16"]
# Feature maps whose values are positive: the l1 denominators of these
# stay away from 0 (relu's can be 0 and silu's cancel: l1 is ill-posed).
POSITIVE_MAPS = ("elu_plus_one", "sigmoid", "exp", "taylor2", "hedgehog")


def compiled_kernels():
    info = ao.cache_info()
    return info["kernels"] + info["evictions"]


def check(out, ref, what):
    c = ao.compare(out, ref)
    assert c.passed, f"{what}: {c}"
    assert c.tolerance == (1e-5 if out.dtype == np.float32 else 1e-2)


def decay_for(kind, b, h, nk, rng):
    """A decay operand: one per head ([1, Hq, 1], RetNet / Lightning) or
    one per token ([B, Hq, Nk], Mamba-2)."""
    if kind == "head":
        return rng.uniform(0.8, 1.0, (1, h, 1)).astype(np.float32)
    return rng.uniform(0.5, 1.0, (b, h, nk)).astype(np.float32)


DECAY_DECLARATIONS = {"head": (1, None, 1), "token": True}


def run_everywhere(spec, dtype, operands_for=lambda shape, rng: {}, shapes=SHAPES,
                   chunks=CHUNKS):
    """Compiles `spec` once per chunk and checks every shape and seed."""
    cases = []
    for shape in shapes:
        for seed in SEEDS:
            q, k, v = make_qkv(shape, dtype, seed)
            operands = operands_for(shape, np.random.default_rng(100 + seed))
            cases.append((shape, seed, q, k, v, operands, ao.reference(spec, q, k, v, **operands)))
    for chunk in chunks:
        _, _, q, k, v, operands, _ = cases[0]
        before = compiled_kernels()
        kernel = ao.compile(spec, q, k, v, tile_program=True, linear_chunk=chunk, **operands)
        assert kernel.tile_program and kernel.linear_chunk == chunk
        assert compiled_kernels() - before <= 1
        for shape, seed, q, k, v, operands, ref in cases:
            check(kernel(q, k, v, **operands), ref, f"chunk {chunk}, shape {shape}, seed {seed}")
        # ao.run finds the same kernel.
        after = compiled_kernels()
        shape, seed, q, k, v, operands, ref = cases[-1]
        check(ao.run(spec, q, k, v, tile_program=True, linear_chunk=chunk, **operands),
              ref, f"ao.run chunk {chunk}")
        assert compiled_kernels() == after


# hedgehog reads its weights: test_hedgehog below; identity and softmax are
# Efficient Attention's query maps (test_quadratic_forms, and the C++
# LinearAttentionNumericsTest).
FEATURE_MAP_CASES = [(fm, l1) for fm in ao.FeatureMap.KINDS
                     if fm not in ao.FeatureMap.WEIGHTED + ("identity", "softmax")
                     for l1 in ((False, True) if fm in POSITIVE_MAPS else (False,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fm,l1", FEATURE_MAP_CASES)
def test_feature_map(fm, l1, dtype):
    """Causal (normalized) linear attention with each feature map."""
    spec = ao.Spec(mask=ao.causal(), feature_map=fm, normalization=ao.identity(l1=l1),
                   scale=1.0, dtype=dtype)
    assert f"feature_map(#attn.feature_map<{fm}>)" in spec.text
    assert spec.info["feature_map"] == fm and not spec.info["has_decay"]
    run_everywhere(spec, dtype)


def hedgehog_weights(heads, f, d, rng):
    """W ~ N(0, 1/D) (the projection of a unit row is about N(0, 1)) and a
    small bias, as the runner draws them."""
    w = (rng.standard_normal((heads, f, d)) / np.sqrt(d)).astype(np.float32)
    return w, rng.uniform(-0.5, 0.5, (heads, f)).astype(np.float32)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shared", [False, True])
def test_hedgehog(shared, dtype):
    """Hedgehog's learned map, its weights passed at run time: one map per
    query head or one shared ([1, F, D]), F = 6 != D (2F = 12 features)."""
    spec = ao.Spec(mask=ao.causal(), feature_map="hedgehog", dtype=dtype,
                   feature_weight=(1, None, None) if shared else True,
                   feature_bias=(1, None) if shared else True,
                   normalization=ao.identity(l1=True), scale=1.0)
    assert ("feature_map(#attn.feature_map<hedgehog>, %feature_weight, %feature_bias : "
            in spec.text)
    assert spec.info["feature_map"] == "hedgehog"
    assert {"feature_weight", "feature_bias"} <= set(spec.arg_names)

    def operands(shape, rng):
        w, b = hedgehog_weights(1 if shared else shape[1], 6, shape[5], rng)
        return {"feature_weight": w, "feature_bias": b}

    run_everywhere(spec, dtype, operands)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bound_hedgehog_weights(dtype):
    """Arrays given to Spec are bound; a quadratic (windowed) form too."""
    w, b = hedgehog_weights(4, 24, 8, np.random.default_rng(3))
    spec = ao.Spec(mask=ao.causal() & ao.window(6), feature_map="hedgehog",
                   feature_weight=w, feature_bias=b, dtype=dtype,
                   normalization=ao.identity(l1=True))
    assert set(spec.bound) == {"feature_weight", "feature_bias"}
    run_everywhere(spec, dtype, shapes=[s for s in SHAPES if s[1] == 4 and s[5] == 8])


# (feature map, l1): Mamba-2 SSD (no feature map, unnormalized), Lightning /
# RetNet-like (silu, unnormalized), normalized decayed linear attention.
DECAY_FORMS = [(None, False), ("silu", False), ("elu_plus_one", True)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["head", "token"])
@pytest.mark.parametrize("fm,l1", DECAY_FORMS)
def test_decay_operand(fm, l1, kind, dtype):
    """A decay passed at run time: per head (1, None, 1) or per token."""
    spec = ao.Spec(mask=ao.causal(), feature_map=fm, normalization=ao.identity(l1=l1),
                   scale=1.0, dtype=dtype, decay=DECAY_DECLARATIONS[kind])
    assert spec.info["has_decay"] and "decay" in spec.arg_names
    assert "decay" not in spec.bound

    def operands(shape, rng):
        b, h, _, _, nk = shape[:5]
        return {"decay": decay_for(kind, b, h, nk, rng)}

    run_everywhere(spec, dtype, operands)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fm,l1", [(None, False), ("elu_plus_one", True)])
def test_channel_gate(fm, l1, dtype):
    """A gate per key channel (GLA), [B, Hq, Nk, D], passed at run time."""
    spec = ao.Spec(mask=ao.causal(), feature_map=fm, normalization=ao.identity(l1=l1),
                   scale=1.0, dtype=dtype, decay=(None, None, None, None))
    assert spec.info["has_decay"] and "decay" in spec.arg_names

    def operands(shape, rng):
        b, h, _, _, nk, d = shape[:6]
        return {"decay": rng.uniform(0.5, 1.0, (b, h, nk, d)).astype(np.float32)}

    run_everywhere(spec, dtype, operands)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bound_decay(dtype):
    """A decay array given to Spec is bound: constant per head (RetNet's
    1 - 2^(-5-h)) for any length, or per token for one length."""
    heads = np.arange(4)
    retnet = (1.0 - 2.0 ** (-5.0 - heads)).reshape(1, 4, 1)
    spec = ao.Spec(mask=ao.causal(), feature_map="elu_plus_one",
                   normalization=ao.identity(l1=True), scale=1.0, dtype=dtype,
                   decay=retnet)
    assert set(spec.bound) == {"decay"} and spec.bound["decay"].dtype == np.float32
    run_everywhere(spec, dtype, shapes=[s for s in SHAPES if s[1] == 4])

    rng = np.random.default_rng(7)
    a = rng.uniform(0.3, 1.0, (2, 4, 37))
    spec = ao.Spec(mask=ao.causal(), normalization="identity", scale=1.0, dtype=dtype,
                   decay=a)
    run_everywhere(spec, dtype, shapes=[(2, 4, 2, 37, 37, 16), (2, 4, 4, 11, 37, 8)])
    # A bound decay can still be overridden at run time.
    q, k, v = make_qkv((2, 4, 4, 37, 37, 8), dtype)
    ones = np.ones((2, 4, 37), np.float32)
    check(ao.run(spec, q, k, v, tile_program=True, decay=ones),
          ao.reference(ao.Spec(mask=ao.causal(), normalization="identity", scale=1.0,
                               dtype=dtype), q, k, v), "decay of ones")


@pytest.mark.parametrize("dtype", DTYPES)
def test_quadratic_forms(dtype):
    """Specs that only the quadratic form covers: every chunk gives it (no
    mask, a window inside the causal mask, a gate, the default scale)."""
    specs = {
        "bidirectional": ao.Spec(feature_map="relu", normalization=ao.identity(),
                                 dtype=dtype),
        "windowed decay": ao.Spec(mask=ao.causal() & ao.window(6), feature_map="sigmoid",
                                  normalization=ao.identity(l1=True), dtype=dtype,
                                  decay=True),
        "gated": ao.Spec(mask=ao.causal(), feature_map="exp", dtype=dtype,
                         normalization=ao.identity(l1=True), output_gate=True),
        "softmax over a feature map": ao.Spec(mask=ao.causal(), feature_map="silu",
                                              dtype=dtype),
        "efficient attention": ao.Spec(
            feature_map=ao.FeatureMap("softmax", keys="sequence_softmax"),
            normalization=ao.identity(), scale=1.0, dtype=dtype),
    }

    def operands_for(name):
        def operands(shape, rng):
            b, h, _, nq, nk = shape[:5]
            if name == "windowed decay":
                return {"decay": decay_for("token", b, h, nk, rng)}
            if name == "gated":
                return {"output_gate": rng.uniform(0.0, 2.0, (b, h, nq)).astype(np.float32)}
            return {}
        return operands

    for name, spec in specs.items():
        run_everywhere(spec, dtype, operands_for(name), shapes=SHAPES[:4], chunks=[0, 64])


def test_linear_chunk_is_part_of_the_cache_key():
    spec = ao.Spec(mask=ao.causal(), feature_map="elu_plus_one",
                   normalization=ao.identity(l1=True), scale=1.0, decay=(1, None, 1))
    q, k, v = make_qkv((1, 2, 2, 16, 16, 8))
    a = np.full((1, 2, 1), 0.9, np.float32)
    kernels = {c: ao.compile(spec, q, k, v, tile_program=True, linear_chunk=c, decay=a)
               for c in (0, 5, 64)}
    ids = {c: kern._kernel.function_id for c, kern in kernels.items()}
    assert len(set(ids.values())) == 3
    again = ao.compile(spec, q, k, v, tile_program=True, linear_chunk=5, decay=a)
    assert again._kernel.function_id == ids[5]
    default = ao.compile(spec, q, k, v, tile_program=True, decay=a)
    assert default._kernel.function_id == ids[64] and default.linear_chunk == 64
    assert np.int64(5) == ao.compile(spec, q, k, v, tile_program=True,
                                     linear_chunk=np.int64(5), decay=a).linear_chunk
    # Other lowerings do not read it.
    assert ao.compile(ao.Spec(mask=ao.causal()), q, k, v,
                      tiled=False).linear_chunk is None


def test_wrong_expectations_fail():
    """The comparisons above can fail: another feature map, decay or chunked
    result differs from the reference beyond the tolerance."""
    q, k, v = make_qkv((1, 2, 2, 37, 37, 8))
    rng = np.random.default_rng(3)
    a = decay_for("token", 1, 2, 37, rng)
    elu = ao.Spec(mask=ao.causal(), feature_map="elu_plus_one",
                  normalization=ao.identity(l1=True), scale=1.0, decay=True)
    out = ao.run(elu, q, k, v, tile_program=True, decay=a)
    assert ao.compare(out, ao.reference(elu, q, k, v, decay=a)).passed
    exp = ao.Spec(mask=ao.causal(), feature_map="exp",
                  normalization=ao.identity(l1=True), scale=1.0, decay=True)
    assert not ao.compare(out, ao.reference(exp, q, k, v, decay=a)).passed
    assert not ao.compare(out, ao.reference(elu, q, k, v, decay=a ** 2)).passed
    plain = ao.Spec(mask=ao.causal(), feature_map="elu_plus_one",
                    normalization=ao.identity(), scale=1.0, decay=True)
    assert not ao.compare(out, ao.reference(plain, q, k, v, decay=a)).passed
    with pytest.raises(AssertionError):
        check(out, ao.reference(exp, q, k, v, decay=a), "wrong feature map")


# ===----------------------------------------------------------------------=== #
# Misuse
# ===----------------------------------------------------------------------=== #


def test_feature_map_arguments():
    assert ao.FeatureMap("relu") == ao.FeatureMap("relu")
    assert repr(ao.FeatureMap("silu")) == "#attn.feature_map<silu>"
    by_object = ao.Spec(mask=ao.causal(), feature_map=ao.FeatureMap("exp"))
    assert by_object.text == ao.Spec(mask=ao.causal(), feature_map="exp").text
    with pytest.raises(ValueError, match=r"unknown feature map 'elu'; one of \('elu_plus_one'"):
        ao.Spec(feature_map="elu")
    with pytest.raises(ValueError, match="unknown feature map"):
        ao.FeatureMap("softmin")
    # A sequence map is a key map only.
    with pytest.raises(ValueError, match="unknown feature map 'sequence_softmax'"):
        ao.FeatureMap("sequence_softmax")
    assert (repr(ao.FeatureMap("softmax", keys="sequence_softmax"))
            == "#attn.feature_map<softmax, keys = sequence_softmax>")
    assert ao.FeatureMap("relu", keys="relu") == ao.FeatureMap("relu")
    with pytest.raises(TypeError, match="feature_map must be a name .* got int"):
        ao.Spec(feature_map=3)
    with pytest.raises(TypeError, match="feature_map must be a name .* got Normalization"):
        ao.Spec(feature_map=ao.relu())
    with pytest.raises(TypeError, match="a feature map is named by a str"):
        ao.FeatureMap(None)


def test_key_maps_that_read_the_queries():
    """RALA's and Flowformer's key maps: key maps only, non-causal, flow
    without an output gate (spec construction only: the numerics are the
    C++ LinearAttentionNumericsTest's and test/zoo/wave2-linear.mlir's)."""
    rala = ao.FeatureMap("elu_plus_one", keys="query_weighted")
    assert repr(rala) == "#attn.feature_map<elu_plus_one, keys = query_weighted>"
    ao.Spec(feature_map=rala, normalization=ao.identity(l1=True), scale=1.0)
    flow = ao.FeatureMap("sigmoid", keys="flow")
    ao.Spec(feature_map=flow, normalization=ao.identity(), scale=1.0)
    with pytest.raises(ValueError, match="unknown feature map 'flow'"):
        ao.FeatureMap("flow")
    with pytest.raises(SpecError, match="keys = query_weighted weights each key from all "
                                        "the queries and keys, which a causal mask forbids"):
        ao.Spec(feature_map=rala, mask=ao.causal(), normalization=ao.identity(l1=True))
    with pytest.raises(SpecError, match="keys = flow multiplies each output row"):
        ao.Spec(feature_map=flow, normalization=ao.identity(), output_gate=True)
    with pytest.raises(SpecError, match="must be elementwise"):
        ao.Spec(feature_map=ao.FeatureMap("softmax", keys="flow"))


def test_feature_weight_arguments():
    causal_linear = dict(mask=ao.causal(), normalization=ao.identity(l1=True))
    w, b = hedgehog_weights(2, 3, 8, np.random.default_rng(0))
    with pytest.raises(ValueError, match="feature_weight and feature_bias are the operands of "
                                         "feature_map='hedgehog'; there is no feature_map"):
        ao.Spec(feature_weight=w, feature_bias=b, **causal_linear)
    with pytest.raises(ValueError, match=r"feature_weight must be a non-empty array "
                                         r"\[Hq\|1, F, D\], got shape \(3, 8\)"):
        ao.Spec(feature_map="hedgehog", feature_weight=w[0], feature_bias=b, **causal_linear)
    with pytest.raises(ValueError, match="feature_bias must be True or a 2-tuple"):
        ao.Spec(feature_map="hedgehog", feature_weight=w, feature_bias=(None,), **causal_linear)
    # The verifier's messages, located in the spec.
    cases = [
        (dict(feature_map="hedgehog"), "needs its weight and bias operands"),
        (dict(feature_map="hedgehog", feature_weight=w),
         "feature_weight and feature_bias come together"),
        (dict(feature_map="relu", feature_weight=w, feature_bias=b),
         r"#attn.feature_map<relu> takes none \(only hedgehog does\)"),
        (dict(feature_map="hedgehog", feature_weight=np.zeros((2, 0, 8)), feature_bias=True),
         "must be a non-empty array"),
    ]
    for kwargs, message in cases:
        with pytest.raises((SpecError, ValueError), match=message) as e:
            ao.Spec(**kwargs, **causal_linear)
        if e.type is SpecError:
            assert e.value.location.startswith("<attn_opt.Spec attention>:2:")
    # Run time: shapes against the inputs (head count, head dim, F = 0).
    spec = ao.Spec(feature_map="hedgehog", feature_weight=True, feature_bias=True,
                   **causal_linear)
    q, k, v = make_qkv((1, 2, 2, 5, 5, 8))
    with pytest.raises(SpecError, match=r"feature_map weight dimension 2 \(head_dim\) is 4 but must be 8"):
        ao.run(spec, q, k, v, tile_program=True, feature_weight=np.ones((2, 3, 4), np.float32),
               feature_bias=np.ones((2, 3), np.float32))
    with pytest.raises(SpecError, match=r"feature_map weight dimension 0 \(query heads\) is 3 but must be 1 or 2"):
        ao.reference(spec, q, k, v, feature_weight=np.ones((3, 3, 8), np.float32),
                     feature_bias=np.ones((3, 3), np.float32))
    with pytest.raises(SpecError, match="F must be at least 1"):
        ao.run(spec, q, k, v, tile_program=True, feature_weight=np.ones((2, 0, 8), np.float32),
               feature_bias=np.ones((2, 0), np.float32))
    # Bound arrays are typed by their rank only: checked when the shapes are.
    mismatched = ao.Spec(feature_map="hedgehog", feature_weight=w, feature_bias=b[:, :2],
                         **causal_linear)
    with pytest.raises(SpecError, match=r"feature_map bias dimension 1 \(features F of the "
                                        r"weight\) is 2 but must be 3"):
        ao.run(mismatched, q, k, v, tile_program=True)
    with pytest.raises(TypeError, match="missing operand 'feature_bias'"):
        ao.run(spec, q, k, v, tile_program=True, feature_weight=np.ones((2, 3, 8), np.float32))


def test_decay_arguments():
    causal_linear = dict(mask=ao.causal(), normalization=ao.identity())
    with pytest.raises(ValueError, match=r"decay must be True or a 3-tuple .*\[B\|1, Hq\|1, Nk\|1\]"):
        ao.Spec(decay=(1, None), **causal_linear)
    with pytest.raises(ValueError, match="decay must be True or a 3-tuple"):
        ao.Spec(decay=(2, None, None), **causal_linear)
    with pytest.raises(ValueError, match=r"decay must be a non-empty array \[B\|1, Hq\|1, Nk\|1\] or "
                                         r"\[B\|1, Hq\|1, Nk\|1, D\], got shape \(2, 3\)"):
        ao.Spec(decay=np.full((2, 3), 0.5), **causal_linear)
    with pytest.raises(TypeError, match="decay must be a float array"):
        ao.Spec(decay=np.array([[["a"]]]), **causal_linear)
    for bad in (0.0, -0.5, 1.5, np.nan):
        a = np.full((1, 2, 5), 0.9)
        a[0, 1, 2] = bad
        with pytest.raises(ValueError, match=r"argument 'decay': element 7 is .*: a decay must lie in \(0, 1\]"):
            ao.Spec(decay=a, **causal_linear)
    # Run time: values, then shapes (the verifier's message, located).
    spec = ao.Spec(decay=True, **causal_linear)
    q, k, v = make_qkv((1, 2, 2, 5, 5, 8))
    with pytest.raises(ValueError, match="a decay must lie in"):
        ao.run(spec, q, k, v, tile_program=True, decay=np.zeros((1, 2, 5), np.float32))
    with pytest.raises(ValueError, match="a decay must lie in"):
        ao.reference(spec, q, k, v, decay=np.zeros((1, 2, 5), np.float32))
    with pytest.raises(TypeError, match="missing operand 'decay'"):
        ao.run(spec, q, k, v, tile_program=True)
    with pytest.raises(SpecError, match="decay") as e:
        ao.run(spec, q, k, v, tile_program=True, decay=np.full((1, 3, 5), 0.9, np.float32))
    assert e.value.line == 2 and e.value.file.startswith("<attn_opt.Spec")


def test_verifier_diagnostics_are_spec_errors():
    """A decay needs a causal mask and the identity normalization: the
    verifier's messages, located in the spec."""
    cases = [
        (dict(normalization=ao.identity(), decay=True),
         "decay needs a causal mask"),
        (dict(mask=ao.window(8), normalization=ao.identity(), decay=True),
         "decay needs a causal mask"),
        (dict(mask=ao.causal(), decay=True), "decay needs the identity normalization"),
        (dict(mask=ao.causal(), normalization=ao.sigmoid(), feature_map="relu",
              decay=np.full((1, 1, 1), 0.5)),
         r"decay needs the identity normalization \(optionally with l1\), not sigmoid"),
    ]
    for kwargs, message in cases:
        with pytest.raises(SpecError, match=message) as e:
            ao.Spec(**kwargs)
        assert e.value.location.startswith("<attn_opt.Spec attention>:2:")
        assert "attn.attention" in str(e.value)


def test_linear_chunk_argument():
    spec = ao.Spec(mask=ao.causal(), feature_map="relu", normalization=ao.identity(),
                   scale=1.0)
    q, k, v = make_qkv((1, 2, 2, 9, 9, 8))
    before = compiled_kernels()
    for bad in (-1, 1025, 100000):
        with pytest.raises(ValueError, match=rf"linear-chunk must be in \[0, 1024\] \(0: the quadratic form\), got {bad}"):
            ao.compile(spec, q, k, v, tile_program=True, linear_chunk=bad)
        with pytest.raises(ValueError, match="linear-chunk must be in"):
            ao.run(spec, q, k, v, tile_program=True, linear_chunk=bad)
    for bad in (1.5, True, "64", None):
        with pytest.raises(TypeError, match="linear_chunk must be an integer"):
            ao.run(spec, q, k, v, tile_program=True, linear_chunk=bad)
    with pytest.raises(ValueError, match="linear_chunk is an option of the tile program"):
        ao.run(ao.Spec(mask=ao.causal()), q, k, v, linear_chunk=0, tiled=False)
    assert compiled_kernels() == before
    # The bounds themselves compile.
    for chunk in (0, 1024):
        out = ao.run(spec, q, k, v, tile_program=True, linear_chunk=chunk)
        check(out, ao.reference(spec, q, k, v), f"chunk {chunk}")


def test_linear_specs_need_the_tile_program():
    q, k, v = make_qkv((1, 2, 2, 9, 9, 8))
    text_spec = ao.parse(ao.Spec(mask=ao.causal(), feature_map="exp",
                                 normalization=ao.identity(l1=True)).text)
    specs = [ao.Spec(mask=ao.causal(), feature_map="elu_plus_one"),
             ao.Spec(mask=ao.causal(), normalization=ao.identity(), decay=True),
             text_spec]
    a = np.full((1, 2, 9), 0.9, np.float32)
    before = compiled_kernels()
    for spec in specs:
        operands = {"decay": a} if spec.info["has_decay"] else {}
        for lowering in (dict(tiled=False),):
            with pytest.raises(CompileError, match="lowered through the tile program only"):
                ao.compile(spec, q, k, v, **lowering, **operands)
            with pytest.raises(CompileError, match="with the default lowering"):
                ao.run(spec, q, k, v, **lowering, **operands)
    assert compiled_kernels() == before
