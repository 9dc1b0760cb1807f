"""Parsing, compiling, running, the reference, block maps and PTX."""

from __future__ import annotations

import collections
import os
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from .errors import CompileError, SpecError
from .frontend import Spec

__all__ = [
    "parse", "parse_file", "verify", "compile", "run", "reference",
    "block_map", "BlockMap", "ptx", "has_gpu_backend", "compare", "Comparison",
    "tolerance", "to_bf16", "from_bf16", "cache_info", "Kernel",
]

SpecLike = Union[Spec, str]


# ===----------------------------------------------------------------------=== #
# Specs
# ===----------------------------------------------------------------------=== #


def _bind_info(spec: Spec) -> dict:
    try:
        return _core.bind(spec.text, spec.filename, spec.entry or "")
    except SpecError as e:
        raise e.with_source(spec.text) from None


def parse(text: str, *, filename: str = "<string>", entry: Optional[str] = None,
          bound: Optional[Mapping[str, np.ndarray]] = None) -> Spec:
    """Parses and verifies MLIR text holding one ``attn.attention`` function.

    ``entry`` names the function (default: the only one holding an
    ``attn.attention``). ``bound`` supplies operands by argument name once
    and for all (e.g. captures). Raises :class:`SpecError` with the location
    (``filename:line:col``) of every diagnostic.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() takes the spec text as a str, got {type(text).__name__}")
    return Spec.from_text(text, filename=filename, entry=entry, bound=bound)


def parse_file(path, *, entry: Optional[str] = None,
               bound: Optional[Mapping[str, np.ndarray]] = None) -> Spec:
    """Parses and verifies a ``.mlir`` file (diagnostics name the file)."""
    path = os.fspath(path)
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    return Spec.from_text(text, filename=path, entry=entry, bound=bound)


def _as_spec(spec: SpecLike) -> Spec:
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, str):
        return parse(spec)
    raise TypeError(f"expected an attn_opt.Spec or MLIR text, got {type(spec).__name__}")


def verify(spec: SpecLike) -> dict:
    """Verifies a spec (text or :class:`Spec`) and returns its signature:
    ``entry``, ``args`` (name, role, dtype, shape with None for dynamic
    extents), ``output_dtype``, ``has_lse``, ``normalization``, ``mask``,
    ``feature_map`` (its name or None), ``has_decay``."""
    return _as_spec(spec).info


# ===----------------------------------------------------------------------=== #
# Arguments
# ===----------------------------------------------------------------------=== #

_FLOAT_NUMPY = {"f32": np.float32, "f16": np.float16, "f64": np.float64}
_INT_NUMPY = {"index": np.int64, "i64": np.int64, "i32": np.int32, "i8": np.int8,
              "i1": np.bool_}
_CORE_DTYPE = {"index": "i64"}


def _contiguous(a: np.ndarray) -> np.ndarray:
    """C-contiguous `a` (np.ascontiguousarray would turn 0-d into 1-d)."""
    return a if a.flags.c_contiguous else a.copy(order="C")


def _core_dtype(dtype: str) -> str:
    return _CORE_DTYPE.get(dtype, dtype)


def _bf16_bits(a: np.ndarray) -> Optional[np.ndarray]:
    if a.dtype == np.uint16:
        return a
    if a.dtype.name == "bfloat16":  # ml_dtypes.bfloat16
        return a.view(np.uint16)
    return None


def _convert(value, arg: dict, strict: bool) -> np.ndarray:
    """`value` as a contiguous array of the argument's declared type."""
    name, dtype = arg["name"], arg["dtype"]
    a = np.asarray(value)
    if dtype == "bf16":
        bits = _bf16_bits(a)
        if bits is None:
            hint = " (convert with attn_opt.to_bf16(x))" if np.issubdtype(a.dtype, np.floating) else ""
            raise TypeError(
                f"argument '{name}' must hold bfloat16 values as a uint16 array "
                f"(the spec declares bf16), got {a.dtype}{hint}")
        a = bits
    elif dtype in ("f8E4M3FN", "f8E5M2"):
        # NumPy has no FP8 type: the bit patterns as uint8, or an ml_dtypes
        # float8_e4m3fn / float8_e5m2 array (viewed as its bytes).
        fp8_name = "float8_e4m3fn" if dtype == "f8E4M3FN" else "float8_e5m2"
        if a.dtype.name == fp8_name:
            a = a.view(np.uint8)
        if a.dtype != np.uint8:
            raise TypeError(
                f"argument '{name}' must hold {dtype} values as a uint8 array of "
                f"their bit patterns (or an ml_dtypes {fp8_name} array), got {a.dtype}")
    elif dtype in _FLOAT_NUMPY:
        want = np.dtype(_FLOAT_NUMPY[dtype])
        if a.dtype != want:
            if strict or not (np.issubdtype(a.dtype, np.floating) or
                              np.issubdtype(a.dtype, np.integer)):
                raise TypeError(
                    f"argument '{name}' must be a {want.name} array (the spec "
                    f"declares {dtype}), got {a.dtype}")
            a = a.astype(want)
    elif dtype in _INT_NUMPY:
        want = np.dtype(_INT_NUMPY[dtype])
        if a.dtype != want:
            if not (np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_):
                raise TypeError(
                    f"argument '{name}' must be an integer array (the spec "
                    f"declares {dtype}), got {a.dtype}")
            if want != np.bool_ and a.size and a.dtype != np.bool_:
                info = np.iinfo(want)
                if a.min() < info.min or a.max() > info.max:
                    raise ValueError(
                        f"argument '{name}' has values outside the range of {dtype}")
            a = a.astype(want)
    else:
        raise TypeError(f"argument '{name}' has an unsupported element type {dtype}")
    shape = arg["shape"]
    if a.ndim != len(shape):
        raise ValueError(f"argument '{name}' must have rank {len(shape)}, got shape {a.shape}")
    for d, (got, want_d) in enumerate(zip(a.shape, shape)):
        if want_d is not None and got != want_d:
            raise ValueError(f"argument '{name}' dimension {d} must be {want_d} (the "
                             f"spec's static extent), got {got} (shape {a.shape})")
    return _contiguous(a)


def _check_qkv(arrays: Dict[str, np.ndarray]):
    q, k, v = arrays["query"], arrays["key"], arrays["value"]
    for what, a in (("q", q), ("k", k), ("v", v)):
        if a.ndim != 4:
            raise ValueError(f"{what} must have rank 4 [batch, heads, seq, head_dim], "
                             f"got shape {a.shape}")
    if k.shape[0] != q.shape[0] or v.shape[0] != q.shape[0]:
        raise ValueError(f"batch sizes differ: q {q.shape}, k {k.shape}, v {v.shape}")
    if k.shape[3] != q.shape[3]:
        raise ValueError(f"k's head_dim {k.shape[3]} differs from q's {q.shape[3]}")
    if v.shape[2] != k.shape[2]:
        raise ValueError(f"v has {v.shape[2]} keys but k has {k.shape[2]}")
    if q.shape[3] == 0:
        raise ValueError("head_dim must be positive")
    # Without a head map, query head h reads key / value head h // (Hq // Hk)
    # (V has K's head count unless a v_head_map is given).
    mapped = "k_head_map" in arrays and "v_head_map" in arrays
    if k.shape[1] == 0 or (not mapped and q.shape[1] % k.shape[1] != 0):
        raise ValueError(f"query heads ({q.shape[1]}) must be a multiple of key/value "
                         f"heads ({k.shape[1]}) unless both k_head_map and v_head_map "
                         "are given")


def _check_decay(name: str, arr: np.ndarray) -> None:
    """A decay lies in (0, 1]: compiled kernels do not check it."""
    values = arr.astype(np.float64, copy=False)
    bad = ~((values > 0.0) & (values <= 1.0))
    if bad.any():
        index = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(f"argument '{name}': element {index} is "
                         f"{values.reshape(-1)[index]}: a decay must lie in (0, 1]")


def _check_scale(name: str, arr: np.ndarray) -> None:
    """A quantization scale is finite and positive (as attn-run and the
    reference require): compiled kernels do not check it."""
    values = arr.astype(np.float64, copy=False)
    bad = ~(np.isfinite(values) & (values > 0.0))
    if bad.any():
        index = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(f"argument '{name}': element {index} is "
                         f"{values.reshape(-1)[index]}: a quantization scale must be "
                         "finite and positive")


def _check_int8(name: str, arr: np.ndarray) -> None:
    """Pre-quantized Q, K and V lie in the symmetric range [-127, 127]."""
    bad = arr == -128
    if bad.any():
        index = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(f"argument '{name}': element {index} is -128: quantized "
                         "values lie in [-127, 127] (-128 is not allowed)")


def _check_fp8(name: str, arr: np.ndarray, dtype: str) -> None:
    """Pre-quantized FP8 Q, K and V (uint8 bit patterns) are finite: no NaN
    (e4m3fn: 0x7f / 0xff; e5m2: exponent 31 with a mantissa) and no e5m2
    infinity (exponent 31), as attn-run and the reference require."""
    magnitude = arr & 0x7F
    bad = magnitude == 0x7F if dtype == "f8E4M3FN" else magnitude >= 0x7C
    if bad.any():
        index = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(f"argument '{name}': element {index} is the bit pattern "
                         f"{int(arr.reshape(-1)[index]):#04x}: pre-quantized FP8 values "
                         "must be finite (NaN and infinity patterns are not allowed)")


def _check_flags(name: str, arr: np.ndarray) -> None:
    """Salient flags (k_salient) are 0 or 1, as attn-run and the reference
    require: compiled kernels read any nonzero flag as 1."""
    values = arr.astype(np.float64, copy=False)
    bad = ~((values == 0.0) | (values == 1.0))
    if bad.any():
        index = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(f"argument '{name}': element {index} is "
                         f"{values.reshape(-1)[index]}: a salient flag is 0 or 1")


def _collect(spec: Spec, q, k, v, operands: Dict[str, object]) -> Tuple[List[np.ndarray], List[dict]]:
    """The function's arguments, in order, converted and checked."""
    info = spec.info
    operands = dict(operands)
    if "segment_ids" in operands:
        ids = operands.pop("segment_ids")
        operands.setdefault("q_segment_ids", ids)
        operands.setdefault("kv_segment_ids", ids)
    names = {a["name"] for a in info["args"]}
    unknown = [n for n in operands if n not in names]
    if unknown:
        extra = [a["name"] for a in info["args"] if a["role"] not in ("query", "key", "value")]
        raise TypeError(f"unexpected operand(s) {', '.join(map(repr, unknown))}; "
                        f"this spec's extra operands are: {extra or 'none'}")
    arrays, args, by_role = [], [], {}
    for a in info["args"]:
        role, name = a["role"], a["name"]
        if role == "query":
            value = q
        elif role == "key":
            value = k
        elif role == "value":
            value = v
        elif name in operands:
            value = operands[name]
        elif name in spec.bound:
            value = spec.bound[name]
        else:
            raise TypeError(f"missing operand '{name}' ({role}) of spec @{info['entry']}; "
                            f"pass it as {name}=array")
        if value is None:
            raise TypeError(f"operand '{name}' is None")
        arr = _convert(value, a, strict=role in ("query", "key", "value"))
        if role == "decay":
            _check_decay(name, arr)
        elif role in ("q_scale", "k_scale", "v_scale"):
            _check_scale(name, arr)
        elif role == "k_salient":
            _check_flags(name, arr)
        elif role in ("query", "key", "value") and arr.dtype == np.int8:
            _check_int8(name, arr)
        elif role in ("query", "key", "value") and a["dtype"] in ("f8E4M3FN", "f8E5M2"):
            _check_fp8(name, arr, a["dtype"])
        arrays.append(arr)
        args.append(a)
        by_role.setdefault(role, arr)
    if all(r in by_role for r in ("query", "key", "value")):
        _check_qkv(by_role)
    return arrays, args


# Argument types (dtype and shape per argument) a spec's verifier accepted,
# per spec: what a tile-program kernel checks before running on new shapes.
_CHECKED_TYPES_SIZE = 1024
_checked_types: "collections.OrderedDict[tuple, bool]" = collections.OrderedDict()


def _check_types(spec: Spec, args: List[dict], arrays: List[np.ndarray]):
    """Raises what a static specialization to these arrays' shapes would
    (SpecError from the op verifier: bias, segment ids, head maps, captures
    inconsistent with q, k, v...). A kernel compiled with dynamic extents
    checks only element types, ranks and static extents itself, and would
    read out of bounds on arrays that disagree."""
    types = tuple((_core_dtype(a["dtype"]), tuple(int(d) for d in arr.shape))
                  for a, arr in zip(args, arrays))
    key = (spec.text, spec.filename, spec.entry, types)
    if key in _checked_types:
        try:
            _checked_types.move_to_end(key)
        except KeyError:  # another thread dropped it meanwhile
            pass
        return
    try:
        _core.check_types(spec.text, spec.filename, spec.entry,
                          [(dtype, list(shape)) for dtype, shape in types])
    except SpecError as e:
        raise e.with_source(spec.text) from None
    _checked_types[key] = True
    if len(_checked_types) > _CHECKED_TYPES_SIZE:
        _checked_types.popitem(last=False)


def _spec_for(spec: SpecLike, return_lse: bool) -> Spec:
    spec = _as_spec(spec)
    if return_lse and not spec.has_lse:
        spec = spec.with_lse()
    return spec


def _result_arrays(spec: Spec, q: np.ndarray, v: np.ndarray) -> List[np.ndarray]:
    out_dtype = spec.info["output_dtype"]
    np_dtype = np.uint16 if out_dtype == "bf16" else _FLOAT_NUMPY[out_dtype]
    shape = (q.shape[0], q.shape[1], q.shape[2], v.shape[3])
    results = [np.empty(shape, dtype=np_dtype)]
    if spec.info["has_lse"]:
        results.append(np.empty(shape[:3], dtype=np.float32))
    return results


# ===----------------------------------------------------------------------=== #
# Compile and run
# ===----------------------------------------------------------------------=== #


class Kernel:
    """A spec compiled for the CPU: through the tile program (the default)
    for every extent the spec leaves dynamic, or, with the untiled baseline
    (``tiled=False``), for fixed shapes.

    Call it (or :meth:`run`) with arrays of those shapes (``shapes`` has
    ``None`` for the dynamic extents of a tile-program kernel). Kernels come
    from a process-wide cache keyed by spec text, shapes, dtypes and
    options; a tile-program kernel's key has no dynamic extents, so one
    kernel serves every length.
    """

    def __init__(self, spec: Spec, core_kernel, args: List[dict],
                 shapes: List[Tuple[int, ...]], options: dict):
        self.spec = spec
        self._kernel = core_kernel
        self._args = args
        self.shapes = shapes
        self.options = options

    @property
    def compile_seconds(self) -> float:
        return self._kernel.compile_seconds

    @property
    def vector_width(self) -> int:
        """f32 lanes per vector of the tile program's vector kernels (0 for
        the untiled path and the portable tiles)."""
        return self._kernel.vector_width

    @property
    def tile_q(self) -> int:
        """Queries per tile that ran: the requested ``tile_q``, or the
        automatic one (0 for the untiled path)."""
        return self._kernel.tile_q

    @property
    def tile_kv(self) -> int:
        """Keys per tile of the tile program (0 for the untiled path)."""
        return self._kernel.tile_kv

    @property
    def linear_chunk(self) -> Optional[int]:
        """Positions per chunk of causal linear attention's O(N) form (0:
        the quadratic form) for a tile-program kernel, else None."""
        return self.options.get("linear_chunk")

    @property
    def tile_program(self) -> bool:
        """Whether the kernel was compiled through the tile program (the
        default lowering): one kernel for every dynamic extent."""
        return bool(self._kernel.tile_program)

    @property
    def bf16_dot(self) -> str:
        """How bf16 dot products run: "native" (vdpbf16ps), "emulated" or
        "off"."""
        return self._kernel.bf16_dot

    @property
    def int8_dot(self) -> str:
        """How the tile program's INT8 Q K^T kernel computes its byte dot
        products: "vnni" (vpdpbusd), "emulated", or "off" (no vector
        kernels)."""
        return self._kernel.int8_dot

    def run(self, q, k, v, *, return_lse: bool = False, **operands):
        """Runs on arrays of the compiled shapes (a tile-program kernel: of
        any shape the spec accepts); returns the output, or ``(output,
        lse)`` with ``return_lse=True``."""
        if return_lse and not self.spec.has_lse:
            raise ValueError("this kernel was compiled without the logsumexp; "
                             "compile with return_lse=True")
        arrays, _ = _collect(self.spec, q, k, v, operands)
        if self.options.get("tile_program"):
            # Ranks, dtypes and static extents were checked by _collect; the
            # verifier checks the rest, as a specialization would.
            _check_types(self.spec, self._args, arrays)
        else:
            for a, arr, shape in zip(self._args, arrays, self.shapes):
                if arr.shape != shape:
                    raise ValueError(f"argument '{a['name']}' has shape {arr.shape} but "
                                     f"the kernel was compiled for {shape}")
        return self._run_arrays(arrays, return_lse)

    def _run_arrays(self, arrays, return_lse):
        qa = arrays[[a["role"] for a in self._args].index("query")]
        va = arrays[[a["role"] for a in self._args].index("value")]
        results = _result_arrays(self.spec, qa, va)
        self._kernel.run(arrays, results)
        if return_lse:
            return results[0], results[1]
        return results[0]

    __call__ = run

    def __repr__(self):
        path = "tile program (any length) " if self.tile_program else ""
        return (f"<attn_opt.Kernel @{self.spec.entry} {path}shapes={self.shapes} "
                f"options={self.options}>")


def compile(spec: SpecLike, q, k, v, *, tiled: bool = True, tile_q: int = 0,
            tile_kv: int = 64, threads: int = 0, return_lse: bool = False,
            vector_width: int = 0, tile_program: Optional[bool] = None,
            linear_chunk: int = 64, portable_tiles: bool = False,
            **operands) -> Kernel:
    """Compiles ``spec`` for the CPU for the shapes and dtypes of the given
    arrays (cached: a second call with the same spec, shapes and options
    reuses the kernel).

    By default (``tile_program`` None or True) it compiles through the tile
    program, without specializing the spec's dynamic extents: the arrays give (and are
    checked for) element types, ranks and the spec's static extents only,
    the cache key holds no lengths, and the kernel runs on arrays of any
    shape the spec accepts (checked at every call as a specialization
    would). Its key loop runs vector kernels at ``vector_width`` lanes (0:
    the host's), the rest portable code, the work items on ``threads``
    threads; ``portable_tiles=True`` keeps the portable scalar lowering
    alone (the correctness baseline). ``tile_q`` (0: four vectors, 32 with
    ``portable_tiles``) and ``tile_kv``
    give its tiles (the kernels need whole vectors in ``tile_kv`` and
    leave other tiles to the portable code).

    ``tiled=False`` selects the untiled baseline, compiled for the arrays'
    shapes (``tile_program=True`` with it raises ``ValueError``;
    ``tile_program=False`` too: the monolithic tiled kernel it selected
    was removed, the tile program replaces it). Specs with a
    ``feature_map`` or a ``decay`` (linear attention), a selection,
    quantization, an epilogue or an affine normalization are lowered
    through the tile program only: the untiled lowering raises
    :class:`CompileError` for them.

    ``linear_chunk`` (tile program only; int in [0, 1024], default 64):
    positions per chunk of the chunked O(N) form of causal linear
    attention (identity normalization, optionally ``l1``, under exactly
    ``causal()``, with no bias, score modification, function, gate or
    logsumexp); 0 selects the quadratic O(N^2) form, which other linear
    specs always take. Both are exact; the chunk size changes speed and
    rounding only. Part of the kernel cache key.

    Options: ``tile_q`` (queries per tile, 0: automatic), ``tile_kv``
    (keys per tile), ``threads`` (worker threads, 0: all cores),
    ``vector_width`` (f32 lanes per vector, 8 or 16; 0: the host's, 16 with
    AVX-512F, else 8). The kernel's ``vector_width``, ``tile_q`` and
    ``tile_kv`` say what runs.
    """
    return _compile(spec, q, k, v, tiled, tile_q, tile_kv, threads, return_lse,
                    operands, vector_width, tile_program, linear_chunk,
                    portable_tiles)[0]


def _compile(spec, q, k, v, tiled, tile_q, tile_kv, threads, return_lse, operands,
             vector_width=0, tile_program=None, linear_chunk=64,
             portable_tiles=False):
    for name, value in (("tile_q", tile_q), ("tile_kv", tile_kv), ("threads", threads),
                        ("vector_width", vector_width), ("linear_chunk", linear_chunk)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, got {value!r}")
    if not 0 <= tile_q <= _core.MAX_TILE_Q:
        raise ValueError(f"tile_q must be in [0, {_core.MAX_TILE_Q}] (0: automatic), "
                         f"got {tile_q}")
    if not 1 <= tile_kv <= _core.MAX_TILE_KV:
        raise ValueError(f"tile_kv must be in [1, {_core.MAX_TILE_KV}], got {tile_kv}")
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0: all cores), got {threads}")
    if vector_width not in (0, 8, 16):
        raise ValueError(f"vector_width must be 0 (automatic), 8 or 16, got {vector_width}")
    if tile_program is not None and not isinstance(tile_program, (bool, np.bool_)):
        raise TypeError(f"tile_program must be a bool or None, got {tile_program!r}")
    if not isinstance(tiled, (bool, np.bool_)):
        raise TypeError(f"tiled must be a bool, got {tiled!r}")
    if tile_program and not tiled:
        raise ValueError("tile_program=True compiles through the tile program and "
                         "tiled=False selects the untiled lowering: pass one of them")
    if tile_program is not None and not tile_program:
        raise ValueError("tile_program=False selected the monolithic tiled kernel, "
                         "which was removed: the tile program (the default) "
                         "replaces it; tiled=False selects the untiled baseline")
    tile_program = bool(tiled)
    lowering = "tile_program" if tile_program else "untiled"
    if not isinstance(portable_tiles, (bool, np.bool_)):
        raise TypeError(f"portable_tiles must be a bool, got {portable_tiles!r}")
    if portable_tiles and not tile_program:
        raise ValueError("portable_tiles is an option of the tile program, not of "
                         f"the {lowering.replace('_', ' ')} lowering")
    if portable_tiles and vector_width:
        raise ValueError("portable_tiles=True runs no vector kernels: vector_width "
                         f"must be 0 with it, got {vector_width}")
    if tile_program:
        invalid = _core.check_tile_program_options(
            int(tile_q) or 32, int(tile_kv), 1, int(linear_chunk))
        if invalid:
            raise ValueError(invalid)
    elif linear_chunk != 64:
        raise ValueError("linear_chunk is an option of the tile program, not of "
                         f"the {lowering.replace('_', ' ')} lowering")
    spec = _spec_for(spec, return_lse)
    if not tile_program and (spec.info["feature_map"] or spec.info["has_decay"]):
        raise CompileError(
            f"spec @{spec.entry} is linear attention (it has a "
            f"{'feature_map' if spec.info['feature_map'] else 'decay'}), which is "
            "lowered through the tile program only: compile or run it with "
            "the default lowering (not tiled=False)")
    arrays, args = _collect(spec, q, k, v, operands)
    if tile_program:
        # Dynamic extents stay dynamic (-1): one kernel for every length.
        _check_types(spec, args, arrays)
        shapes = [tuple(a["shape"]) for a in args]
        arg_types = [(_core_dtype(a["dtype"]), [-1 if d is None else int(d) for d in a["shape"]])
                     for a in args]
    else:
        shapes = [arr.shape for arr in arrays]
        arg_types = [(_core_dtype(a["dtype"]), list(arr.shape)) for a, arr in zip(args, arrays)]
    result_dtypes = [_core_dtype(spec.info["output_dtype"])]
    if spec.info["has_lse"]:
        result_dtypes.append("f32")
    try:
        kernel = _core.compile(spec.text, spec.filename, spec.entry, arg_types,
                               result_dtypes, lowering, int(tile_q), int(tile_kv),
                               int(threads), int(vector_width), int(linear_chunk),
                               bool(portable_tiles))
    except SpecError as e:
        raise e.with_source(spec.text) from None
    options = dict(tiled=bool(tiled), tile_q=int(tile_q), tile_kv=int(tile_kv),
                   threads=int(threads), vector_width=int(vector_width),
                   tile_program=bool(tile_program))
    if tile_program:
        options["linear_chunk"] = int(linear_chunk)
        options["portable_tiles"] = bool(portable_tiles)
    return Kernel(spec, kernel, args, shapes, options), arrays


def run(spec: SpecLike, q, k, v, *, return_lse: bool = False, tiled: bool = True,
        tile_q: int = 0, tile_kv: int = 64, threads: int = 0, vector_width: int = 0,
        tile_program: Optional[bool] = None, linear_chunk: int = 64,
        portable_tiles: bool = False, **operands):
    """Compiles (cached) and runs ``spec`` on NumPy arrays.

    ``q``, ``k``, ``v`` are ``[B, H, N, D]`` arrays of the spec's element
    type: float32, float16, or uint16 holding bfloat16 bits for a bf16 spec
    (see :func:`to_bf16`). Other operands are keyword arguments named after
    the function's arguments (``bias``, ``q_segment_ids``/``kv_segment_ids``
    or ``segment_ids`` for both, ``block_layout``, ``alibi_slopes``,
    ``k_head_map``, ``v_head_map``, ``sink_logits``, ``output_gate``,
    ``decay``, captures); arrays the spec binds itself need not be passed.
    A decay outside (0, 1], a quantization scale (``q_scale``/``k_scale``)
    that is not finite and positive, and -128 in pre-quantized int8 q or k
    raise ``ValueError``.

    Returns the output ``[B, Hq, Nq, Dv]`` (same dtype as q), or
    ``(output, lse)`` with ``return_lse=True`` (lse: float32 ``[B, Hq,
    Nq]``, ``-inf`` for fully masked rows; softmax only).

    The lowering (``tile_program``, ``tiled``): see :func:`compile`; the
    tile program's cached kernel serves every length (no recompilation when
    only the lengths change).
    ``linear_chunk``: the chunk of causal linear attention's O(N) form
    (tile program only, 0: the quadratic form; see :func:`compile`).
    ``portable_tiles``: the tile program's portable lowering alone.
    """
    kernel, arrays = _compile(spec, q, k, v, tiled, tile_q, tile_kv, threads,
                              return_lse, operands, vector_width, tile_program,
                              linear_chunk, portable_tiles)
    return kernel._run_arrays(arrays, return_lse)


def reference(spec: SpecLike, q, k, v, *, return_lse: bool = False, **operands):
    """The float64 reference (``lib/Reference``): element by element, sharing
    no code with the compiler. Same arguments as :func:`run`; returns
    float64 arrays."""
    spec = _spec_for(spec, return_lse)
    arrays, args = _collect(spec, q, k, v, operands)
    roles = [a["role"] for a in args]
    qa, va = arrays[roles.index("query")], arrays[roles.index("value")]
    out = np.empty((qa.shape[0], qa.shape[1], qa.shape[2], va.shape[3]), dtype=np.float64)
    lse = np.empty(qa.shape[:3], dtype=np.float64) if return_lse else None
    try:
        _core.reference(spec.text, spec.filename, spec.entry,
                        [_core_dtype(a["dtype"]) for a in args], arrays, out, lse)
    except SpecError as e:
        raise e.with_source(spec.text) from None
    return (out, lse) if return_lse else out


# ===----------------------------------------------------------------------=== #
# Block maps
# ===----------------------------------------------------------------------=== #


@dataclass
class BlockMap:
    """The classification of the (q-tile, kv-tile) pairs of one head.

    ``kinds`` is a ``uint8`` array ``[q_tiles, kv_tiles]`` of
    :attr:`EMPTY` (0, no kept element: skipped), :attr:`FULL` (1, every
    element kept: no mask code) and :attr:`PARTIAL` (2). ``density`` is the
    kept fraction of the Nq x Nk elements (an upper bound unless
    ``density_exact``).
    """

    EMPTY = 0
    FULL = 1
    PARTIAL = 2

    kinds: np.ndarray
    density: float
    density_exact: bool
    tile_q: int
    tile_kv: int
    nq: int
    nk: int
    head: int
    counts: Dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        chars = np.array([".", "#", "+"])
        return "\n".join("".join(chars[row]) for row in self.kinds)


def block_map(spec: SpecLike, nq, nk=None, v=None, *,
              num_heads: Optional[int] = None, head: int = 0, tile_q: int = 64,
              tile_kv: int = 64, batch: Optional[int] = None,
              exact_counts: bool = False, **operands):
    """Two maps, by the arguments.

    ``block_map(spec, nq, nk)``: classifies the tiles of query head ``head``
    of the spec's mask (attribute and ``mask_fn``) for sequence lengths
    ``nq`` x ``nk`` (``nk`` defaults to ``nq``) and tiles of ``tile_q`` x
    ``tile_kv``; returns a :class:`BlockMap`. ``num_heads`` (Hq) defaults to
    the head count of a ``per_head`` mask, else ``head + 1``. ``batch``
    bounds the batch index seen by region masks. ``exact_counts`` counts the
    kept elements of partial tiles of compositions exactly (slower), making
    ``density`` exact more often.

    ``block_map(spec, q, k, v, **operands)`` (arrays, as for :func:`run`):
    the key blocks a selection spec (``#attn.topk_blocks``) selects on these
    inputs, by the float64 reference's rules (pooling, gates, tie-break,
    always-kept blocks): a ``bool`` array ``[B, Hq, Nq, key blocks]``, or
    ``[B, Hq, query blocks, key blocks]`` for a selection per query block
    (``q_block``: its rows share one selection). The selection alone: the
    mask (e.g. causal inside the current block) is not applied.
    """
    if isinstance(nq, np.ndarray) or not isinstance(nq, (int, np.integer)) \
            and hasattr(nq, "__array__"):
        return _selected_block_map(spec, nq, nk, v, operands)
    if v is not None or operands:
        raise TypeError("block_map(spec, nq, nk) takes sequence lengths; pass "
                        "q, k, v as arrays for a selection's blocks")
    spec = _as_spec(spec)
    nk = nq if nk is None else nk
    if num_heads is None:
        per_head = spec.info.get("per_head_heads", -1)
        num_heads = per_head if per_head and per_head > 0 else head + 1
    for name, value in (("nq", nq), ("nk", nk), ("num_heads", num_heads),
                        ("head", head), ("tile_q", tile_q), ("tile_kv", tile_kv)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, got {value!r}")
    try:
        kinds, rows, cols, density, exact, empty, full, partial = _core.block_map(
            spec.text, spec.filename, spec.entry, int(head), int(num_heads), int(nq),
            int(nk), -1 if batch is None else int(batch), int(tile_q), int(tile_kv),
            bool(exact_counts))
    except SpecError as e:
        raise e.with_source(spec.text) from None
    array = np.frombuffer(kinds, dtype=np.uint8).reshape(rows, cols).copy()
    return BlockMap(array, density, exact, int(tile_q), int(tile_kv), int(nq), int(nk),
                    int(head), {"empty": empty, "full": full, "partial": partial})


def _selected_block_map(spec: SpecLike, q, k, v, operands) -> np.ndarray:
    """The selection's blocks of :func:`block_map` with arrays."""
    if k is None or v is None:
        raise TypeError("block_map(spec, q, k, v) needs the three arrays q, k "
                        "and v (and the spec's operands)")
    spec = _as_spec(spec)
    arrays, args = _collect(spec, q, k, v, operands)
    try:
        flags, shape, q_block = _core.selected_blocks(
            spec.text, spec.filename, spec.entry,
            [_core_dtype(a["dtype"]) for a in args], arrays)
    except SpecError as e:
        raise e.with_source(spec.text) from None
    blocks = np.frombuffer(flags, dtype=np.uint8).reshape(shape).astype(bool)
    # Rows of a query block share its selection: one row per query block.
    return blocks[:, :, ::q_block, :].copy() if q_block > 0 else blocks


# ===----------------------------------------------------------------------=== #
# PTX
# ===----------------------------------------------------------------------=== #


def host_vector_width() -> int:
    """f32 lanes per vector the CPU kernels use on this host when none is
    asked for: 16 with AVX-512F, else 8."""
    return int(_core.host_vector_width())


def host_has_bf16_dot(vector_width: int = 16) -> bool:
    """Whether this host runs the vdpbf16ps kernels at ``vector_width``
    lanes (avx512bf16, plus avx512vl for 8 lanes)."""
    return bool(_core.host_has_bf16_dot(int(vector_width)))


def host_has_int8_dot(vector_width: int = 16) -> bool:
    """Whether this host runs the INT8 Q K^T kernel's vpdpbusd at
    ``vector_width`` lanes (avx512vnni, plus avx512vl below 16 lanes)."""
    return bool(_core.host_has_int8_dot(int(vector_width)))


def has_gpu_backend() -> bool:
    """Whether this build includes the GPU backend (``ptx()`` works)."""
    return bool(getattr(_core, "HAS_GPU", False))


def ptx(spec: SpecLike, shapes, arch: str = "sm_80", *, features: Optional[str] = None,
        opt_level: int = 3) -> str:
    """The PTX the GPU backend emits for ``spec`` specialized to ``shapes``.

    ``shapes``: one shape per function argument (in order), or a mapping
    from argument names (``q``, ``k``, ``v``, operand and capture names) to
    shapes; arrays the spec binds itself (captures) need not be given.
    ``arch``: ``sm_80``, ``sm_86``, ``sm_87``, ``sm_89``, ``sm_90``,
    ``sm_90a``, ``sm_100``, ``sm_100a``, ``sm_120`` or ``sm_120a`` (another
    raises ``ValueError``); ``features`` default to the PTX version the
    architecture needs.

    Raises ``NotImplementedError`` when attn_opt was built without the GPU
    backend (no ``AttnGPU`` library at configure time).
    """
    if not has_gpu_backend():
        raise NotImplementedError(
            "the GPU backend was not built: this attn_opt was configured without "
            "the AttnGPU library, so ptx() is unavailable (rebuild once AttnGPU "
            "is part of the CMake build)")
    spec = _as_spec(spec)
    args = spec.info["args"]
    if isinstance(shapes, Mapping):
        given = dict(shapes)
        unknown = [n for n in given if n not in {a["name"] for a in args}]
        if unknown:
            raise TypeError(f"unknown argument name(s) {unknown}; the spec's arguments "
                            f"are {[a['name'] for a in args]}")
        resolved = []
        for a in args:
            if a["name"] in given:
                resolved.append(tuple(given[a["name"]]))
            elif a["name"] in spec.bound:
                resolved.append(np.shape(spec.bound[a["name"]]))
            else:
                raise TypeError(f"missing the shape of argument '{a['name']}'")
    else:
        resolved = [tuple(s) for s in shapes]
        if len(resolved) != len(args):
            raise ValueError(f"spec @{spec.entry} has {len(args)} arguments, got "
                             f"{len(resolved)} shapes")
    arg_types = []
    for a, shape in zip(args, resolved):
        if len(shape) != len(a["shape"]):
            raise ValueError(f"argument '{a['name']}' must have rank {len(a['shape'])}, "
                             f"got shape {shape}")
        arg_types.append((_core_dtype(a["dtype"]), [int(d) for d in shape]))
    try:
        return _core.ptx(spec.text, spec.filename, spec.entry, arg_types, str(arch),
                         features or "", int(opt_level))
    except SpecError as e:
        raise e.with_source(spec.text) from None


# ===----------------------------------------------------------------------=== #
# Utilities
# ===----------------------------------------------------------------------=== #


@dataclass
class Comparison:
    max_abs_error: float
    rel_frobenius_error: float
    tolerance: float
    non_finite: int
    passed: bool

    def __bool__(self):
        return self.passed


def tolerance(dtype) -> float:
    """Tolerance on the relative Frobenius error: 1e-5 for f32, 1e-2 for
    f16/bf16."""
    name = dtype if isinstance(dtype, str) else np.dtype(dtype).name
    name = {"float32": "f32", "float16": "f16", "uint16": "bf16", "float64": "f64",
            "bfloat16": "bf16"}.get(name, name)
    return _core.tolerance_for(name)


def compare(actual, expected, tol: Optional[float] = None, *, bf16: Optional[bool] = None) -> Comparison:
    """Compares a result with the float64 reference as attn-run --check does:
    relative Frobenius error within ``tol`` (default: :func:`tolerance` of the
    result's dtype), no NaN/inf where the reference is finite, and -inf
    entries (lse of fully masked rows) matching exactly. uint16 results are
    bfloat16 bits unless ``bf16=False``."""
    a = _contiguous(np.asarray(actual))
    e = _contiguous(np.asarray(expected, dtype=np.float64))
    if a.shape != e.shape:
        raise ValueError(f"compare: shapes differ, {a.shape} vs {e.shape}")
    if a.dtype == np.uint16 and bf16 is not False:
        dtype = "bf16"
    else:
        dtype = {"float32": "f32", "float16": "f16", "float64": "f64"}.get(a.dtype.name)
        if dtype is None:
            a = a.astype(np.float64)
            dtype = "f64"
    if tol is None:
        tol = _core.tolerance_for(dtype)
    d = _core.compare(a, dtype, e, float(tol))
    return Comparison(**d)


def to_bf16(x) -> np.ndarray:
    """bfloat16 bits (uint16) of ``x``, rounded to nearest even."""
    f = _contiguous(np.asarray(x, dtype=np.float32))
    u = f.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(f)
    if nan.any():
        rounded[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
    return rounded


def from_bf16(bits) -> np.ndarray:
    """float32 values of bfloat16 bits (a uint16 array)."""
    b = _contiguous(np.asarray(bits))
    if b.dtype != np.uint16:
        raise TypeError(f"from_bf16 expects a uint16 array, got {b.dtype}")
    return (b.astype(np.uint32) << 16).view(np.float32)


def cache_info() -> Dict[str, int]:
    """The process-wide kernel cache: kernels held, hits and evictions so
    far, and the most kernels it holds (the least recently used go first)."""
    size, hits, evictions, capacity = _core.cache_info()
    return {"kernels": size, "hits": hits, "evictions": evictions,
            "capacity": capacity}
