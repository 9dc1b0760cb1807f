"""Error paths: bad shapes, bad dtypes, untraceable callables, malformed
spec text (with its location)."""

import math as pymath

import numpy as np
import pytest

import attn_opt as ao
from attn_opt import math as M
from conftest import SPEC_TEXT, make_qkv


# -- shapes ------------------------------------------------------------------ #


@pytest.mark.parametrize("shapes, match", [
    (((1, 2, 8), (1, 2, 8, 4), (1, 2, 8, 4)), "'q' must have rank 4"),
    (((1, 2, 8, 4), (2, 2, 8, 4), (2, 2, 8, 4)), "batch sizes differ"),
    (((1, 2, 8, 4), (1, 2, 8, 5), (1, 2, 8, 4)), "head_dim"),
    (((1, 2, 8, 4), (1, 2, 8, 4), (1, 2, 9, 4)), "v has 9 keys"),
    (((1, 3, 8, 4), (1, 2, 8, 4), (1, 2, 8, 4)), "multiple of key/value heads"),
])
def test_bad_qkv_shapes(shapes, match):
    args = [np.zeros(s, np.float32) for s in shapes]
    with pytest.raises(ValueError, match=match):
        ao.run(SPEC_TEXT, *args)
    with pytest.raises(ValueError, match=match):
        ao.reference(SPEC_TEXT, *args)


def test_static_extent_mismatch():
    text = SPEC_TEXT.replace("?x?x?x?", "1x2x8x4")
    with pytest.raises(ValueError, match="dimension 2 must be 8"):
        ao.run(text, *make_qkv((1, 2, 2, 9, 9, 4)))


def test_shape_error_from_the_verifier_has_a_location():
    spec = ao.Spec(mask=ao.per_head([ao.causal(), ao.full()]))
    with pytest.raises(ao.SpecError, match="2 heads but the query has 4") as info:
        ao.run(spec, *make_qkv((1, 4, 2, 8, 8, 4)))
    assert info.value.file == spec.filename and info.value.line == 2


def test_bad_operand_shapes():
    spec = ao.Spec(mask=ao.document())
    args = make_qkv((1, 2, 2, 8, 8, 4))
    with pytest.raises(ao.SpecError, match="segment_ids"):
        ao.run(spec, *args, segment_ids=np.zeros((1, 9), np.int32))
    with pytest.raises(ValueError, match="rank 2"):
        ao.run(spec, *args, segment_ids=np.zeros(8, np.int32))


def test_missing_and_unknown_operands():
    spec = ao.Spec(mask=ao.document())
    args = make_qkv((1, 2, 2, 8, 8, 4))
    with pytest.raises(TypeError, match="missing operand 'q_segment_ids'"):
        ao.run(spec, *args)
    with pytest.raises(TypeError, match="unexpected operand"):
        ao.run(spec, *args, segment_ids=np.zeros((1, 8)), colour=1)


def test_bad_compile_options():
    args = make_qkv((1, 2, 2, 8, 8, 4))
    with pytest.raises(ValueError, match="tile_kv"):
        ao.run(SPEC_TEXT, *args, tile_kv=0)
    with pytest.raises(ValueError, match="tile_q"):
        ao.run(SPEC_TEXT, *args, tile_q=-1)
    # Tiles that would not fit (they once crashed or killed the interpreter).
    with pytest.raises(ValueError, match=r"tile_kv must be in \[1, 4096\], got 32768"):
        ao.run(SPEC_TEXT, *args, tile_kv=32768)
    with pytest.raises(ValueError, match="tile_kv must be in"):
        ao.run(SPEC_TEXT, *args, tile_kv=2 ** 63 - 2)
    with pytest.raises(ValueError, match=r"tile_q must be in \[0, 4096\]"):
        ao.run(SPEC_TEXT, *args, tile_q=10 ** 8)
    with pytest.raises(ValueError, match="vector_width must be 0"):
        ao.run(SPEC_TEXT, *args, vector_width=12)
    with pytest.raises(TypeError, match="threads"):
        ao.run(SPEC_TEXT, *args, threads=1.5)


# -- dtypes ------------------------------------------------------------------ #


def test_float64_inputs_are_rejected():
    q, k, v = make_qkv((1, 2, 2, 8, 8, 4))
    with pytest.raises(TypeError, match="argument 'q' must be a float32 array"):
        ao.run(SPEC_TEXT, q.astype(np.float64), k, v)


def test_half_spec_rejects_float32():
    spec = ao.Spec(dtype="f16")
    with pytest.raises(TypeError, match="float16"):
        ao.run(spec, *make_qkv((1, 2, 2, 8, 8, 4)))


def test_bf16_needs_uint16_bits():
    spec = ao.Spec(dtype="bf16")
    with pytest.raises(TypeError, match="to_bf16"):
        ao.run(spec, *make_qkv((1, 2, 2, 8, 8, 4)))
    with pytest.raises(TypeError, match="bfloat16"):
        ao.run(spec, *make_qkv((1, 2, 2, 8, 8, 4), "f16"))


def test_uint16_is_not_f32():
    q, k, v = make_qkv((1, 2, 2, 8, 8, 4), "bf16")
    with pytest.raises(TypeError, match="float32"):
        ao.run(SPEC_TEXT, q, k, v)


def test_integer_operands_need_integers():
    spec = ao.Spec(mask=ao.document())
    with pytest.raises(TypeError, match="integer array"):
        ao.run(spec, *make_qkv((1, 2, 2, 8, 8, 4)), segment_ids=np.zeros((1, 8), np.float32))
    with pytest.raises(ValueError, match="outside the range of i32"):
        ao.run(spec, *make_qkv((1, 2, 2, 8, 8, 4)),
               segment_ids=np.full((1, 8), 2 ** 40, np.int64))


def test_unknown_spec_dtype():
    with pytest.raises(TypeError, match="unsupported spec dtype"):
        ao.Spec(dtype="f64")
    with pytest.raises(TypeError):
        ao.Spec(dtype=np.int32)


def test_capture_dtypes():
    with pytest.raises(TypeError, match="cannot capture"):
        ao.capture(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="empty"):
        ao.capture(np.zeros(0))


# -- untraceable callables ----------------------------------------------------- #


def trace_error(**kw):
    with pytest.raises(ao.TraceError) as info:
        ao.Spec(**kw)
    return info.value


def test_python_if_on_traced_value():
    def mask(b, h, q, kv):
        if q >= kv:
            return True
        return False
    e = trace_error(mask=mask)
    assert e.construct == "bool()"
    assert "Python `if`" in str(e) and "math.where" in str(e)
    assert "test_errors.py" in e.where and "if q >= kv" in e.where


@pytest.mark.parametrize("fn", [
    lambda b, h, q, kv: (q >= kv) and (kv > 2),
    lambda b, h, q, kv: (q >= kv) or (kv > 2),
    lambda b, h, q, kv: not (q >= kv),
    lambda b, h, q, kv: 0 <= kv < q,
    lambda b, h, q, kv: q if q > kv else kv,
    lambda b, h, q, kv: max(q, kv) > 3,
])
def test_keywords_on_traced_values(fn):
    e = trace_error(mask=fn)
    assert e.construct == "bool()"
    assert "`and`/`or`/`not`" in str(e)


def test_unknown_function_calls():
    e = trace_error(score_mod=lambda s, b, h, q, kv: pymath.tanh(s))
    assert e.construct == "float()" and "attn_opt.math" in str(e)
    assert "pymath.tanh(s)" in e.where

    def opaque(x):
        return x.softmax()
    e = trace_error(score_mod=lambda s, b, h, q, kv: opaque(s))
    assert e.construct == ".softmax" and "x.softmax()" in e.where

    e = trace_error(score_mod=lambda s, b, h, q, kv: np.sort(s))
    assert e.construct == "numpy.sort"
    e = trace_error(score_mod=lambda s, b, h, q, kv: np.arctan2(s, s))
    assert e.construct == "numpy.arctan2"
    e = trace_error(mask=lambda b, h, q, kv: [True, False][h])
    assert e.construct == "int()"
    e = trace_error(mask=lambda b, h, q, kv: q(kv))
    assert e.construct == "call"


def test_float_ops_on_index_values():
    e = trace_error(score_mod=lambda s, b, h, q, kv: s - (q - kv))
    assert "math.to_float" in str(e)
    e = trace_error(score_mod=lambda s, b, h, q, kv: s + M.exp(q))
    assert e.construct == "math.exp" and "to_float" in str(e)
    e = trace_error(mask=lambda b, h, q, kv: q / 2 > kv)
    assert e.construct == "`/`" and "`//`" in str(e)
    e = trace_error(mask=lambda b, h, q, kv: q * 0.5 > kv)
    assert "float constant 0.5" in str(e)


def test_wrong_result_types():
    e = trace_error(mask=lambda b, h, q, kv: q - kv)
    assert e.construct == "return" and "boolean" in str(e)
    e = trace_error(score_mod=lambda s, b, h, q, kv: q > kv)
    assert e.construct == "return"
    e = trace_error(mask=lambda b, h, q, kv: None)
    assert e.construct == "return" and "NoneType" in str(e)
    e = trace_error(score_mod=lambda s, b, h, q, kv: (s, s))
    assert e.construct == "return"


def test_wrong_signatures():
    e = trace_error(mask=lambda b, h, q: q > 0)
    assert e.construct == "signature" and "(b, h, q_idx, kv_idx)" in str(e)
    e = trace_error(score_mod=lambda b, h, q, kv: b)
    assert e.construct == "signature"
    e = trace_error(mask=len)
    assert e.construct == "signature"


def test_other_untraceable_constructs():
    e = trace_error(mask=lambda b, h, q, kv: (q > kv) + (kv > q))
    assert "boolean" in str(e)
    e = trace_error(mask=lambda b, h, q, kv: [x for x in q])
    assert e.construct == "iteration"
    e = trace_error(mask=lambda b, h, q, kv: q[0] > 1)
    assert e.construct == "indexing"
    e = trace_error(score_mod=lambda s, b, h, q, kv: s & s)
    assert e.construct == "`&`"
    e = trace_error(score_mod=lambda s, b, h, q, kv: round(s))
    assert e.construct == "round()"


def test_user_exceptions_are_reported():
    def broken(b, h, q, kv):
        raise KeyError("oops")
    e = trace_error(mask=broken)
    assert "KeyError" in str(e) and "broken" in str(e)


def test_captured_array_misuse():
    table = np.arange(12).reshape(3, 4)
    e = trace_error(mask=lambda b, h, q, kv: table[h, 1:] > 0)
    assert e.construct == "slicing"
    e = trace_error(mask=lambda b, h, q, kv: table[h, q, kv] > 0)
    assert "too many indices" in str(e)
    e = trace_error(mask=lambda b, h, q, kv: table[h, 7] > 0)
    assert "out of range" in str(e)
    e = trace_error(mask=lambda b, h, q, kv: table + q > 0)
    assert e.construct == "array arithmetic"
    floats = np.ones(3)
    e = trace_error(mask=lambda b, h, q, kv: table[h, M.to_int(floats[h]) * 0.5] > 0)
    assert "float constant" in str(e) or "indexed with integer" in str(e)


def test_uncaptured_numpy_array():
    holder = {"t": np.arange(4)}
    e = trace_error(mask=lambda b, h, q, kv: holder["t"][h] > 0)
    # NumPy tries the value as an integer, then as an array.
    assert e.construct in ("int()", "numpy.asarray") and "attn_opt.capture" in str(e)
    e = trace_error(mask=lambda b, h, q, kv: holder["t"] * q > 0)
    assert e.construct == "numpy array"


def test_mixing_attributes_and_functions_under_or():
    e = trace_error(mask=ao.or_(ao.causal(), lambda b, h, q, kv: kv < 4))
    assert e.construct == "or_/not_"
    with pytest.raises(ao.TraceError) as info:
        ao.per_head([ao.causal(), lambda b, h, q, kv: q > kv])
    assert info.value.construct == "per_head"
    e = trace_error(score_mod=[lambda s, b, h, q, kv: s, ao.softcap(2.0)])
    assert e.construct == "score_mod order"


def test_helper_argument_checks():
    with pytest.raises(TypeError):
        ao.window(3.5)
    with pytest.raises(ValueError):
        ao.softcap(-1.0)
    with pytest.raises(ValueError):
        ao.Normalization("tanh")
    with pytest.raises(TypeError):
        ao.Spec(mask=42)
    with pytest.raises(ValueError):
        ao.Spec(scale=0.0)
    with pytest.raises(ValueError):
        ao.Spec(name="not an identifier")
    # Values the verifier rejects come back as SpecError located in spec.text.
    with pytest.raises(ao.SpecError) as info:
        ao.Spec(mask=ao.window(-1))
    assert info.value.file.startswith("<attn_opt.Spec")
    assert "#attn.window<left = -1" in str(info.value)


# -- malformed spec text ---------------------------------------------------- #


@pytest.mark.parametrize("replace, line, col, match", [
    (("#attn.causal", "#attn.sinks<-2>"), 3, None, "sinks"),
    (("attn.attention", "attn.attentoin"), 3, 8, "attn.attentoin"),
    (("mask(#attn.causal)", "mask(#attn.causal"), 4, 29, "expected ')'"),
    (("tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>\n",
      "tensor<?x?x?x?xf32>, tensor<?x?x?x?xf16>, tensor<?x?x?x?xf32>\n"), None, None, ""),
])
def test_malformed_text_reports_location(replace, line, col, match):
    bad = SPEC_TEXT.replace(*replace)
    assert bad != SPEC_TEXT
    with pytest.raises(ao.SpecError) as info:
        ao.parse(bad, filename="spec.mlir")
    e = info.value
    assert e.file == "spec.mlir" and e.line > 0 and e.col > 0
    assert e.location == f"spec.mlir:{e.line}:{e.col}"
    if line is not None:
        assert e.line == line
    if col is not None:
        assert e.col == col
    assert match in str(e)
    assert str(e).startswith(f"spec.mlir:{e.line}:{e.col}: error:")


def test_nesting_too_deep_to_parse_is_refused_before_parsing():
    """Brackets nested deeper than 1024 levels would overflow the MLIR
    parser's stack (a killed interpreter): a SpecError at the first bracket
    past the bound instead; in a string literal they do not count."""
    too_deep = SPEC_TEXT.replace(
        " {\n", " attributes {a = " + "[" * 1024 + "]" * 1024 + "} {\n", 1)
    with pytest.raises(ao.SpecError, match="nested deeper than 1024 levels") as info:
        ao.parse(too_deep, filename="deep.mlir")
    e = info.value
    assert (e.file, e.line) == ("deep.mlir", 2) and e.col > 1024
    quoted = SPEC_TEXT.replace(
        " {\n", ' attributes {note = "' + "[" * 2000 + '"} {\n', 1)
    ao.parse(quoted)


def test_module_level_errors_point_at_the_first_line():
    """Errors about the module as a whole (no or no such entry function) are
    located at FILE:1:1, not at the 0:0 of the module the parser adds."""
    text = "func.func @plain() {\n  return\n}\n"
    for kwargs, match in (({}, "no function holds an attn.attention"),
                          ({"entry": "nope"}, "no function named 'nope'")):
        with pytest.raises(ao.SpecError, match=match) as info:
            ao.parse(text, filename="plain.mlir", **kwargs)
        e = info.value
        assert e.location == "plain.mlir:1:1"
        assert str(e).startswith(f"plain.mlir:1:1: error: {match}\n  func.func @plain()")


# -- values the reference cannot evaluate ----------------------------------- #


def test_reference_evaluation_errors_are_located_spec_errors():
    """A capture read out of range: a ReferenceEvaluationError (a SpecError,
    and the RuntimeError reference() raised before) at the attn.attention
    op, whose message names the region op that failed."""
    shifts = np.array([0, 1], np.int32)
    spec = ao.Spec(mask=lambda b, h, q, kv: kv + shifts[h] <= q, name="shifted")
    args = make_qkv((1, 4, 4, 8, 8, 4))
    with pytest.raises(ao.ReferenceEvaluationError) as info:
        ao.reference(spec, *args)
    e = info.value
    assert isinstance(e, ao.SpecError) and isinstance(e, RuntimeError)
    assert e.file == spec.filename and e.col > 0
    assert "attn.attention" in spec.text.splitlines()[e.line - 1]
    extract = next(n for n, l in enumerate(spec.text.splitlines(), 1)
                   if "tensor.extract" in l)
    assert e.message.startswith("reference evaluation failed: tensor.extract "
                                "index 2 out of range [0, 2)")
    assert f'at loc("{spec.filename}":{extract}:' in e.message
    assert str(e).startswith(f"{e.location}: error: reference evaluation failed")
    assert "%o = attn.attention" in str(e)
    with pytest.raises(RuntimeError, match="out of range"):
        ao.reference(spec, *args)


def test_parse_bound_names_must_be_arguments():
    # An unknown name in bound= was once silently ignored.
    with pytest.raises(TypeError, match=r"bound names argument\(s\) \['colour'\]"):
        ao.parse(SPEC_TEXT, bound={"colour": np.zeros(3, np.float32)})
