"""attn_opt: Python bindings and a FlexAttention-style front end for attn-opt.

Write a spec (from Python or as MLIR text), compile it for the CPU, run it
on NumPy arrays and compare with the float64 reference::

    import numpy as np
    import attn_opt as ao

    spec = ao.Spec(mask=ao.causal() & ao.window(63), score_mod=ao.softcap(30.0))
    q = k = v = np.random.default_rng(0).standard_normal((1, 4, 128, 64), np.float32)
    out = ao.run(spec, q, k, v)
    assert ao.compare(out, ao.reference(spec, q, k, v)).passed

See docs/python.md for the full reference.
"""

from .errors import (CompileError, Diagnostic, ReferenceEvaluationError,
                     SpecError, TraceError)
from .frontend import (
    Captured, FeatureMap, Mask, Normalization, ScoreMod, Spec, Tracer, alibi,
    and_, block_sparse, capture, causal, chunked, dilated, document, full,
    identity, math, neighborhood, not_, or_, per_head, prefix_lm, relu,
    sigmoid, sinks, softcap, softmax, softplus, strided, trace_mask,
    trace_score_mod, trace_weight_mod, window, query_length, key_length,
    top_left, bottom_right,
)
from ._api import (
    BlockMap, Comparison, Kernel, block_map, cache_info, compare, compile,
    from_bf16, has_gpu_backend, host_has_bf16_dot, host_has_int8_dot,
    host_vector_width, parse,
    parse_file, ptx, reference, run, to_bf16, tolerance, verify,
)

__version__ = "0.1.0"

__all__ = [
    # errors
    "SpecError", "ReferenceEvaluationError", "TraceError", "CompileError",
    "Diagnostic",
    # specs
    "Spec", "parse", "parse_file", "verify",
    # compile / run
    "compile", "run", "Kernel", "reference", "compare", "Comparison",
    "tolerance", "to_bf16", "from_bf16", "cache_info", "host_vector_width",
    "host_has_bf16_dot", "host_has_int8_dot",
    # analysis / GPU
    "block_map", "BlockMap", "ptx", "has_gpu_backend",
    # front end
    "math", "capture", "Captured", "Tracer", "Mask", "ScoreMod",
    "Normalization", "FeatureMap", "full", "causal", "window", "sinks", "strided",
    "dilated", "chunked", "prefix_lm", "document", "block_sparse",
    "neighborhood", "and_", "or_", "not_", "per_head", "softcap", "alibi",
    "softmax", "sigmoid", "softplus", "relu", "identity", "trace_mask",
    "trace_score_mod", "trace_weight_mod", "query_length", "key_length",
    "top_left", "bottom_right",
]
