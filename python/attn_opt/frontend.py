"""A FlexAttention-style front end that writes `attn` dialect specs.

Masks and score modifications are given either as *attributes* (helpers
such as :func:`causal`, :func:`window`, :func:`softcap`) or as ordinary
Python functions::

    def mask(b, h, q, kv):            # -> bool
        return (q >= kv) & (q - kv < 256)

    def score_mod(score, b, h, q, kv):  # -> float
        return score - slopes[h] * math.to_float(q - kv)

Functions are *traced*: they are called once with symbolic tracer objects
and every operation is recorded as an `arith`/`math` op of the dialect's
`mask_fn` / `score_mod` region (index arithmetic with `arith.*i` and
`arith.cmpi`, float arithmetic on f32 with `arith.*f` and `math.*`).
NumPy arrays a function reads (closure or global variables, default
arguments, or arrays wrapped with :func:`capture`) become `captures`
operands of the op, read with `tensor.extract`.

:class:`Spec` assembles the function and its ``attn.attention``;
``spec.text`` is exactly what is compiled.
"""

from __future__ import annotations

import builtins
import inspect
import itertools
import math as _pymath
import numbers
import re
import sys
import threading
import traceback
import types
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from .errors import TraceError

__all__ = [
    "Spec", "Mask", "ScoreMod", "Normalization", "FeatureMap", "capture", "math",
    "full", "causal", "window", "sinks", "strided", "dilated", "chunked",
    "prefix_lm", "document", "block_sparse", "neighborhood", "and_", "or_",
    "not_", "per_head", "softcap", "alibi", "softmax", "sigmoid", "softplus",
    "relu", "identity", "trace_mask", "trace_score_mod", "trace_weight_mod",
    "query_length", "key_length", "top_left", "bottom_right",
]

INDEX, BOOL, F32, I64 = "index", "i1", "f32", "i64"
_TYPE_WORDS = {INDEX: "an integer (index) value", BOOL: "a boolean value",
               F32: "a float (f32) value"}

_PACKAGE_DIR = __file__.rsplit("/", 1)[0]


# ===----------------------------------------------------------------------=== #
# Captured arrays
# ===----------------------------------------------------------------------=== #


class Captured:
    """A NumPy array read by traced functions (see :func:`capture`).

    Float arrays are stored as float32 (read as ``f32``), integer arrays as
    int64 (read as ``index``), boolean arrays as int64 0/1 (read as ``i1``).
    Index it with traced integer values and/or Python ints, one index per
    dimension: ``table[h, q - kv]``. Indices must be in range: the reference
    reports out-of-range reads, compiled code does not check them.
    """

    def __init__(self, array, name: Optional[str] = None):
        if isinstance(array, Captured):
            array, name = array.array, name or array.name
        torch_values = _torch_values(array)
        a = np.asarray(array if torch_values is None else torch_values)
        if a.dtype == np.bool_:
            kind, stored = BOOL, a.astype(np.int64)
        elif np.issubdtype(a.dtype, np.integer):
            kind, stored = INDEX, a.astype(np.int64)
        elif np.issubdtype(a.dtype, np.floating):
            kind, stored = F32, a.astype(np.float32)
        else:
            raise TypeError(f"cannot capture an array of dtype {a.dtype}: "
                            "only bool, integer and float arrays")
        if a.size == 0:
            raise ValueError("cannot capture an empty array")
        self.array = stored if stored.flags.c_contiguous else stored.copy(order="C")
        self.source = array
        self.kind = kind
        self.name = name
        self.shape = tuple(a.shape)
        self.ndim = a.ndim

    @property
    def element_type(self) -> str:
        return F32 if self.kind == F32 else INDEX

    @property
    def tensor_type(self) -> str:
        dims = "".join(f"{d}x" for d in self.shape)
        return f"tensor<{dims}{self.element_type}>"

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d captured array")
        return self.shape[0]

    def __getitem__(self, index):
        if not isinstance(index, tuple):
            index = (index,)
        return _IndexedCapture(self, ())[index]

    def __repr__(self):
        return f"capture({self.name or 'array'}: {self.tensor_type})"

    def _no_array_math(self, *args, **kwargs):
        raise TraceError(
            "arithmetic on a whole captured array: index it first "
            "(e.g. table[h] or table[h, q]) to read one element",
            construct="array arithmetic")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _no_array_math
    __truediv__ = __rtruediv__ = __lt__ = __le__ = __gt__ = __ge__ = _no_array_math
    __array_ufunc__ = None


def _torch_tensor_type():
    """torch.Tensor when torch is already imported, else None: the front end
    never imports torch itself (it is an optional dependency)."""
    torch = sys.modules.get("torch")
    return getattr(torch, "Tensor", None)


def _is_torch_tensor(x) -> bool:
    tensor = _torch_tensor_type()
    return tensor is not None and isinstance(x, tensor)


def _torch_values(x) -> Optional[np.ndarray]:
    """The values of a torch tensor as a NumPy array (16-bit floats widened
    to float32, which NumPy lacks for bf16), or None for other objects."""
    if not _is_torch_tensor(x):
        return None
    t = x.detach().cpu()
    if t.is_floating_point() and t.element_size() < 4:
        t = t.float()
    return t.numpy()


class _IndexedCapture:
    """A captured array with some leading indices fixed (``table[h][q]``)."""

    def __init__(self, captured: Captured, indices: tuple):
        self.captured = captured
        self.indices = indices

    def __getitem__(self, index):
        if not isinstance(index, tuple):
            index = (index,)
        c = self.captured
        indices = self.indices + index
        if len(indices) > c.ndim:
            raise TraceError(
                f"too many indices for a captured array of shape {c.shape}: "
                f"{len(indices)} given", construct="indexing")
        for n, i in enumerate(indices):
            if isinstance(i, (slice, type(Ellipsis))) or i is None:
                raise TraceError(
                    "slicing a captured array is not supported; read one "
                    "element per dimension (table[h, q])", construct="slicing")
            if isinstance(i, Tracer):
                if i._type != INDEX:
                    raise TraceError(
                        f"captured arrays are indexed with integer values, got "
                        f"{_TYPE_WORDS[i._type]} in dimension {n}; convert "
                        "with math.to_int()", construct="indexing")
            elif isinstance(i, (bool, np.bool_)) or not isinstance(i, numbers.Integral):
                raise TraceError(
                    f"invalid index {i!r} of a captured array (dimension {n}); "
                    "use integers or traced integer values", construct="indexing")
            else:
                extent = c.shape[n]
                if not -extent <= int(i) < extent:
                    raise TraceError(
                        f"index {int(i)} is out of range for dimension {n} of a "
                        f"captured array of shape {c.shape}", construct="indexing")
        if len(indices) < c.ndim:
            return _IndexedCapture(c, indices)
        trace = _current_trace("reading a captured array")
        return trace.extract(c, indices)

    def __repr__(self):
        return f"{self.captured!r}[{', '.join(map(repr, self.indices))}, ...]"


def capture(array, name: Optional[str] = None) -> Captured:
    """Marks a NumPy array as read by traced functions.

    Arrays referenced from a function's closure, globals or default
    arguments are captured automatically; use ``capture`` for arrays
    reached otherwise (attributes, containers, helper functions). The same
    array used by the mask and the score_mod is passed once.
    """
    return Captured(array, name)


# ===----------------------------------------------------------------------=== #
# Traces
# ===----------------------------------------------------------------------=== #


class _Node:
    __slots__ = ("id", "type", "op", "operands", "fmt", "attr")

    def __init__(self, id, type, op, operands, fmt, attr=None):
        self.id, self.type, self.op = id, type, op
        self.operands, self.fmt, self.attr = operands, fmt, attr


class _ActiveTraces(threading.local):
    def __init__(self):
        self.stack: List["_Trace"] = []


_active = _ActiveTraces()  # per thread: specs may be built concurrently


def _current_trace(what: str) -> "_Trace":
    if not _active.stack:
        raise TraceError(f"{what} is only possible while tracing a mask, "
                         "score_mod or weight_mod function", construct=what)
    return _active.stack[-1]


class _CaptureSet:
    """Captures shared by the regions of one op, in order of first use."""

    def __init__(self):
        self.items: List[Captured] = []
        self._index: Dict[int, int] = {}

    def add(self, c: Captured) -> int:
        shared = isinstance(c.source, np.ndarray) or _is_torch_tensor(c.source)
        key = id(c.source) if shared else id(c)
        if key not in self._index:
            self._index[key] = len(self.items)
            self.items.append(c)
        return self._index[key]


class _Trace:
    """Records the ops of one region while a function runs on tracers."""

    def __init__(self, kind: str, arg_names: Sequence[str], arg_types: Sequence[str],
                 captures: _CaptureSet, tracing: str = "python"):
        self.kind = kind
        # "torch" traces see values that behave like 0-d torch tensors
        # (methods, torch functions) and follow torch's type promotion.
        self.promote = tracing == "torch"
        self.value_class = _torch_value_class() if self.promote else Tracer
        self.nodes: List[_Node] = []
        self.constants: Dict[Tuple[str, str], Tracer] = {}
        self.memo: Dict[tuple, Tracer] = {}
        self.captures = captures
        self.capture_uses: set = set()
        self.args = [self._new(t, "arg", (), None, attr=n)
                     for n, t in zip(arg_names, arg_types)]

    def _new(self, type, op, operands, fmt, attr=None) -> "Tracer":
        node = _Node(len(self.nodes), type, op, tuple(operands), fmt, attr)
        self.nodes.append(node)
        return self.value_class(self, node.id, type)

    def op(self, opname, operands, result_type, fmt) -> "Tracer":
        ids = []
        for v in operands:
            if v._trace is not self:
                raise TraceError(
                    "a traced value from another trace was used (values must "
                    "not be kept between calls of traced functions)",
                    construct="escaped value")
            ids.append(v._id)
        # Every op is pure: an identical op is reused (common subexpressions).
        key = (opname, tuple(ids), result_type, fmt)
        if key not in self.memo:
            self.memo[key] = self._new(result_type, opname, ids, fmt)
        return self.memo[key]

    def const(self, value, type) -> "Tracer":
        if type == BOOL:
            text = "true" if value else "false"
        elif type == INDEX:
            v = int(value)
            if not -(2 ** 63) <= v < 2 ** 63:
                raise TraceError(f"integer constant {v} does not fit in 64 bits",
                                 construct="constant")
            text = str(v)
        else:
            text = _f32_literal(value)
        key = (type, text)
        if key not in self.constants:
            self.constants[key] = self._new(type, "const", (), None, attr=text)
        return self.constants[key]

    def extract(self, c: Captured, indices) -> "Tracer":
        slot = self.captures.add(c)
        self.capture_uses.add(slot)
        operands = []
        for n, i in enumerate(indices):
            if isinstance(i, Tracer):
                operands.append(i)
            else:
                i = int(i)
                operands.append(self.const(i + c.shape[n] if i < 0 else i, INDEX))
        node_type = F32 if c.kind == F32 else INDEX
        key = ("extract", slot, tuple(v._id for v in operands))
        if key not in self.memo:
            self.memo[key] = self._new(node_type, "extract", [v._id for v in operands],
                                       None, attr=slot)
        value = self.memo[key]
        if c.kind == BOOL:
            return _compare("ne", value, 0)
        return value

    # -- printing --------------------------------------------------------- #

    def render(self, result: "Tracer", capture_types: Sequence[str],
               capture_names: Sequence[str], indent: str) -> List[str]:
        """The region's lines: block header, ops (dead ones dropped), yield."""
        live = set()
        stack = [result._id]
        while stack:
            n = stack.pop()
            if n in live:
                continue
            live.add(n)
            stack.extend(self.nodes[n].operands)
        names: Dict[int, str] = {}
        header = []
        taken = set(capture_names)
        for a in self.args:
            node = self.nodes[a._id]
            name = node.attr
            while name in taken:
                name += "_"
            taken.add(name)
            names[node.id] = "%" + name
            header.append(f"%{name}: {node.type}")
        for t, n in zip(capture_types, capture_names):
            header.append(f"%{n}: {t}")
        lines = [f"{indent}^bb0({', '.join(header)}):"]
        counter = itertools.count()
        body = indent + "  "
        ordered = [n for n in self.nodes if n.op == "const" and n.id in live]
        ordered += [n for n in self.nodes if n.op not in ("const", "arg") and n.id in live]
        for node in ordered:
            name = f"%{next(counter)}"
            names[node.id] = name
            ops = [names[o] for o in node.operands]
            if node.op == "const":
                if node.type == BOOL:
                    lines.append(f"{body}{name} = arith.constant {node.attr}")
                else:
                    lines.append(f"{body}{name} = arith.constant {node.attr} : {node.type}")
            elif node.op == "extract":
                slot = node.attr
                lines.append(f"{body}{name} = tensor.extract %{capture_names[slot]}"
                             f"[{', '.join(ops)}] : {capture_types[slot]}")
            else:
                lines.append(f"{body}{name} = " + node.fmt.format(*ops, op=node.op))
        lines.append(f"{body}attn.yield {names[result._id]} : {result._type}")
        return lines


def _float_literal(value: float) -> str:
    """A float literal MLIR parses back exactly (always with a '.')."""
    text = repr(float(value))
    if "inf" in text or "nan" in text:
        raise ValueError(f"non-finite constant {value}")
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + ("e" + exponent if exponent else "")


def _f32_literal(value) -> str:
    f = np.float32(value)
    if not np.isfinite(f):
        bits = int(np.array(f, dtype=np.float32).view(np.uint32))
        return f"0x{bits:08X}"
    return _float_literal(float(f))


# ===----------------------------------------------------------------------=== #
# Tracer values
# ===----------------------------------------------------------------------=== #

_BOOL_HINT = ("use `&`, `|`, `~` instead of `and`, `or`, `not`, and "
              "attn_opt.math.where(cond, a, b) instead of `if`/`x if c else y`")


class Tracer:
    """A symbolic value of a traced mask / score_mod function.

    Types: integer positions (``index``), booleans (``i1``) and floats
    (``f32``). Supported: ``+ - * // % **`` (integers and floats), ``/``
    (floats), comparisons, ``& | ^ ~`` (booleans, bitwise on integers),
    unary ``-``/``+``, ``abs()``, the functions of :data:`attn_opt.math`
    and the NumPy ufuncs with the same meaning. Integers and floats never
    mix implicitly: convert with ``math.to_float`` / ``math.to_int``.
    """

    __slots__ = ("_trace", "_id", "_type")
    __array_priority__ = 1000

    def __init__(self, trace, id, type):
        object.__setattr__(self, "_trace", trace)
        object.__setattr__(self, "_id", id)
        object.__setattr__(self, "_type", type)

    @property
    def dtype(self) -> str:
        """``"index"``, ``"i1"`` or ``"f32"``."""
        return self._type

    def __repr__(self):
        return f"<traced {self._type} value>"

    __hash__ = object.__hash__

    # arithmetic
    def __add__(self, o): return _arith("add", self, o)
    def __radd__(self, o): return _arith("add", o, self)
    def __sub__(self, o): return _arith("sub", self, o)
    def __rsub__(self, o): return _arith("sub", o, self)
    def __mul__(self, o): return _arith("mul", self, o)
    def __rmul__(self, o): return _arith("mul", o, self)
    def __truediv__(self, o): return _arith("truediv", self, o)
    def __rtruediv__(self, o): return _arith("truediv", o, self)
    def __floordiv__(self, o): return _arith("floordiv", self, o)
    def __rfloordiv__(self, o): return _arith("floordiv", o, self)
    def __mod__(self, o): return _arith("mod", self, o)
    def __rmod__(self, o): return _arith("mod", o, self)
    def __pow__(self, o): return _power(self, o)
    def __rpow__(self, o): return _power(o, self)
    def __and__(self, o): return _bitwise("and", self, o)
    def __rand__(self, o): return _bitwise("and", o, self)
    def __or__(self, o): return _bitwise("or", self, o)
    def __ror__(self, o): return _bitwise("or", o, self)
    def __xor__(self, o): return _bitwise("xor", self, o)
    def __rxor__(self, o): return _bitwise("xor", o, self)
    def __lshift__(self, o): return _shift("shl", self, o)
    def __rshift__(self, o): return _shift("shr", self, o)
    def __neg__(self): return _negate(self)
    def __pos__(self):
        if self._type == BOOL:
            raise TraceError("unary `+` on a boolean value", construct="unary +")
        return self
    def __invert__(self): return _invert(self)
    def __abs__(self): return math.abs(self)

    # comparisons
    def __lt__(self, o): return _compare("lt", self, o)
    def __le__(self, o): return _compare("le", self, o)
    def __gt__(self, o): return _compare("gt", self, o)
    def __ge__(self, o): return _compare("ge", self, o)
    def __eq__(self, o): return _compare("eq", self, o)
    def __ne__(self, o): return _compare("ne", self, o)

    # conversions the tracer cannot provide
    def __bool__(self):
        raise TraceError(
            "a traced value was used as a Python truth value: Python `if`, "
            "`while`, `x if c else y`, the `and`/`or`/`not` keywords, chained "
            "comparisons such as `a < b < c`, or a function calling bool() "
            f"(e.g. builtins min/max) need a concrete value; {_BOOL_HINT}",
            construct="bool()")

    def __index__(self):
        raise TraceError(
            "a traced value was used as a concrete Python integer: int(), "
            "range(), or indexing a Python list/tuple or a NumPy array that is "
            "not captured. Capture the array (closure/global variable or "
            "attn_opt.capture(array)) so that table[h] becomes tensor.extract, "
            "and use math.to_int() for float -> integer",
            construct="int()")

    __int__ = __index__

    def __float__(self):
        raise TraceError(
            "a traced value was converted with float(): a function that "
            "needs a concrete number (Python's math module, float(), "
            "random, ...) was called on it; use the functions of "
            "attn_opt.math (e.g. attn_opt.math.tanh) instead",
            construct="float()")

    def __complex__(self):
        raise TraceError("complex() of a traced value", construct="complex()")

    def __round__(self, ndigits=None):
        raise TraceError("round() of a traced value; use math.floor / "
                         "math.ceil", construct="round()")

    def __iter__(self):
        raise TraceError("iterating over a traced value (it is a scalar)",
                         construct="iteration")

    def __len__(self):
        raise TraceError("len() of a traced value (it is a scalar)",
                         construct="len()")

    def __contains__(self, item):
        raise TraceError("`in` on a traced value", construct="in")

    def __getitem__(self, item):
        raise TraceError("indexing a traced value (it is a scalar); index "
                         "captured arrays with it instead", construct="indexing")

    def __call__(self, *args, **kwargs):
        raise TraceError("calling a traced value", construct="call")

    def __setattr__(self, name, value):
        raise TraceError(f"setting attribute {name!r} of a traced value",
                         construct="setattr")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise _TraceAttributeError(
            f"traced values have no attribute {name!r}; use the functions of "
            "attn_opt.math (e.g. math.tanh(x), math.to_float(x))",
            construct=f".{name}")

    def __array__(self, *args, **kwargs):
        raise TraceError(
            "a traced value was converted to a NumPy array: either a NumPy "
            "function other than the supported ufuncs and np.where/np.clip was "
            "called on it (use attn_opt.math), or a NumPy array that is not "
            "captured was indexed with it (capture the array: closure/global "
            "variable or attn_opt.capture(array))",
            construct="numpy.asarray")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = getattr(ufunc, "__name__", str(ufunc))
        if method != "__call__" or kwargs.get("out") is not None:
            raise TraceError(f"numpy.{name}.{method} on a traced value",
                             construct=f"numpy.{name}")
        fn = _UFUNCS.get(name)
        if fn is None:
            raise TraceError(
                f"numpy.{name} is not supported on traced values; use "
                "attn_opt.math", construct=f"numpy.{name}")
        args = [_from_numpy(x) for x in inputs]
        return fn(*args)

    def __array_function__(self, func, types_, args, kwargs):
        name = getattr(func, "__name__", str(func))
        fn = _ARRAY_FUNCTIONS.get(name)
        if fn is None:
            raise TraceError(
                f"numpy.{name} is not supported on traced values; use "
                "attn_opt.math", construct=f"numpy.{name}")
        return fn(*[_from_numpy(x) for x in args],
                  **{k: _from_numpy(v) for k, v in kwargs.items()})


class _TraceAttributeError(TraceError, AttributeError):
    pass


def _from_numpy(x):
    if isinstance(x, Tracer):
        return x
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return x.item()
        raise TraceError(
            f"a NumPy array of shape {x.shape} was combined with a traced "
            "value; arrays are read element-wise by indexing them with traced "
            "values (table[h]), which needs the array to be captured "
            "(closure/global variable or attn_opt.capture(array))",
            construct="numpy array")
    if isinstance(x, np.generic):
        return x.item()
    return x


def _python_scalar(x):
    """A Python bool/int/float for NumPy scalars and 0-d torch tensors (their
    value is a constant of the trace); x otherwise."""
    if isinstance(x, np.generic):
        return x.item()
    if _is_torch_tensor(x) and x.ndim == 0:
        return x.item()
    return x


def _check_operand(x, what):
    x = _python_scalar(x)
    if isinstance(x, Tracer) or isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, (Captured, _IndexedCapture)):
        raise TraceError(
            f"{what} on a captured array: index it with one value per "
            "dimension first (table[h, q])", construct=what)
    if isinstance(x, np.ndarray):
        return _from_numpy(x)
    if _is_torch_tensor(x):
        raise TraceError(
            f"{what} between a traced value and a torch tensor of shape "
            f"{tuple(x.shape)}; read it element-wise by indexing it with traced "
            "values (table[h, q_idx]), which captures it as an operand",
            construct="torch tensor")
    raise TraceError(f"{what} with an unsupported operand of type "
                     f"{type(x).__name__}", construct=what)


def _trace_of(*values) -> _Trace:
    for v in values:
        if isinstance(v, Tracer):
            return v._trace
    raise AssertionError("no tracer")


def _lift(x, type, trace, what) -> Tracer:
    """`x` as a tracer of `type` (Python constants are converted)."""
    if isinstance(x, Tracer):
        return x
    if type == BOOL:
        if isinstance(x, bool):
            return trace.const(x, BOOL)
        raise TraceError(f"{what}: the constant {x!r} is not a boolean",
                         construct=what)
    if type == INDEX:
        if isinstance(x, float):
            if x.is_integer():
                return trace.const(int(x), INDEX)
            raise TraceError(
                f"{what} between {_TYPE_WORDS[INDEX]} and the float constant "
                f"{x!r}: float operations on index values need an explicit "
                "conversion, math.to_float(x)", construct=what)
        return trace.const(int(x), INDEX)
    return trace.const(float(x), F32)


def _unify(a, b, what) -> Tuple[Tracer, Tracer]:
    a, b = _check_operand(a, what), _check_operand(b, what)
    trace = _trace_of(a, b)
    if trace.promote:
        return _promote(a, b, trace)
    ta = a._type if isinstance(a, Tracer) else None
    tb = b._type if isinstance(b, Tracer) else None
    if ta and tb and ta != tb:
        if {ta, tb} == {INDEX, F32}:
            raise TraceError(
                f"{what} between an integer (index) value and a float (f32) "
                "value: float operations on index values need an explicit "
                "conversion, math.to_float(x)", construct=what)
        raise TraceError(f"{what} between {_TYPE_WORDS[ta]} and {_TYPE_WORDS[tb]}",
                         construct=what)
    t = ta or tb
    return _lift(a, t, trace, what), _lift(b, t, trace, what)


# torch's promotion categories of 0-d tensors and Python scalars: the
# result takes the highest category present (int32 + 8.0 is a float).
_CATEGORY = {BOOL: 0, INDEX: 1, F32: 2}


def _category(x) -> int:
    if isinstance(x, Tracer):
        return _CATEGORY[x._type]
    return 0 if isinstance(x, bool) else 1 if isinstance(x, int) else 2


def _convert_to(x: Tracer, type) -> Tracer:
    if x._type == type:
        return x
    if type == F32:
        return math.to_float(x)
    return math.where(x, 1, 0)  # a boolean as an integer


def _promote(a, b, trace) -> Tuple[Tracer, Tracer]:
    """Both operands in the type torch's promotion gives them (torch traces)."""
    type = {0: BOOL, 1: INDEX, 2: F32}[builtins.max(_category(a), _category(b))]
    a = _convert_to(a, type) if isinstance(a, Tracer) else a
    b = _convert_to(b, type) if isinstance(b, Tracer) else b
    return _lift(a, type, trace, "promotion"), _lift(b, type, trace, "promotion")


_ARITH_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "truediv": "/",
                 "floordiv": "//", "mod": "%"}


def _binary_fmt(name):
    return "{op} {0}, {1} : " + name


def _arith(kind, a, b):
    sym = f"`{_ARITH_SYMBOL[kind]}`"
    a, b = _check_operand(a, sym), _check_operand(b, sym)
    if not isinstance(a, Tracer) and not isinstance(b, Tracer):
        return _PY_ARITH[kind](a, b)
    if kind == "truediv" and _trace_of(a, b).promote:
        # torch's `/` is true division for integers too.
        a, b = math.to_float(a), math.to_float(b)
    x, y = _unify(a, b, sym)
    t = x._type
    trace = x._trace
    if t == BOOL:
        raise TraceError(
            f"arithmetic {sym} on boolean values; use `&`, `|`, `^` or "
            "math.where(cond, a, b)", construct=sym)
    if t == INDEX:
        if kind == "truediv":
            raise TraceError(
                "true division `/` of integer (index) values; use `//` (floor "
                "division) or convert with math.to_float(x)", construct="`/`")
        if kind in ("floordiv", "mod") and _is_const(y, 0):
            raise TraceError(f"integer {sym} by the constant 0", construct=sym)
        if kind == "mod":
            return _int_mod(x, y)
        opname = {"add": "arith.addi", "sub": "arith.subi", "mul": "arith.muli",
                  "floordiv": "arith.floordivsi"}[kind]
        return trace.op(opname, [x, y], INDEX, _binary_fmt(INDEX))
    if kind == "floordiv":
        return math.floor(_arith("truediv", x, y))
    if kind == "mod":
        return x - math.floor(x / y) * y
    opname = {"add": "arith.addf", "sub": "arith.subf", "mul": "arith.mulf",
              "truediv": "arith.divf"}[kind]
    return trace.op(opname, [x, y], F32, _binary_fmt(F32))


_PY_ARITH = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b, "truediv": lambda a, b: a / b,
    "floordiv": lambda a, b: a // b, "mod": lambda a, b: a % b,
}


def _is_const(v: Tracer, value) -> bool:
    node = v._trace.nodes[v._id]
    return node.op == "const" and node.attr == str(value)


def _const_value(v: Tracer):
    node = v._trace.nodes[v._id]
    if node.op != "const" or node.type != INDEX:
        return None
    return int(node.attr)


def _int_mod(x: Tracer, y: Tracer) -> Tracer:
    """Python's `%` (the result has the sign of the divisor)."""
    trace = x._trace
    r = trace.op("arith.remsi", [x, y], INDEX, _binary_fmt(INDEX))
    zero = trace.const(0, INDEX)
    c = _const_value(y)
    if c is not None and c > 0:
        fix = _compare("lt", r, zero)
    else:
        nonzero = _compare("ne", r, zero)
        signs_differ = _compare("ne", _compare("lt", r, zero), _compare("lt", y, zero))
        fix = nonzero & signs_differ
    return math.where(fix, r + y, r)


def _power(a, b):
    a, b = _check_operand(a, "`**`"), _check_operand(b, "`**`")
    if not isinstance(a, Tracer) and not isinstance(b, Tracer):
        return a ** b
    if isinstance(a, Tracer) and isinstance(b, int) and not isinstance(b, bool) \
            and 0 <= b <= 8 and a._type in (INDEX, F32):
        if b == 0:
            return a._trace.const(1, a._type)
        result = a
        for _ in range(b - 1):
            result = result * a
        return result
    x, y = _unify(a, b, "`**`")
    if x._type != F32:
        raise TraceError(
            "`**` on integer (index) values needs a constant exponent in "
            "[0, 8]; convert with math.to_float(x) for a float power",
            construct="`**`")
    return x._trace.op("math.powf", [x, y], F32, _binary_fmt(F32))


def _bitwise(kind, a, b):
    sym = {"and": "`&`", "or": "`|`", "xor": "`^`"}[kind]
    a, b = _bool_constant(_check_operand(a, sym)), _bool_constant(_check_operand(b, sym))
    if not isinstance(a, Tracer) and not isinstance(b, Tracer):
        return {"and": a & b, "or": a | b, "xor": a ^ b}[kind]
    # Constant folding with Python bools keeps masks small.
    for t, c in ((a, b), (b, a)):
        if isinstance(t, Tracer) and t._type == BOOL and isinstance(c, bool):
            if kind == "and":
                return t if c else t._trace.const(False, BOOL)
            if kind == "or":
                return t._trace.const(True, BOOL) if c else t
    x, y = _unify(a, b, sym)
    if x._type == F32:
        raise TraceError(f"{sym} on float values (it is a boolean/bitwise "
                         "operator)", construct=sym)
    opname = {"and": "arith.andi", "or": "arith.ori", "xor": "arith.xori"}[kind]
    return x._trace.op(opname, [x, y], x._type, _binary_fmt(x._type))


def _bool_constant(x):
    """A traced boolean constant as a Python bool, so that it folds (torch's
    and_masks starts from b.new_ones((), dtype=torch.bool))."""
    if isinstance(x, Tracer) and x._type == BOOL:
        node = x._trace.nodes[x._id]
        if node.op == "const":
            return node.attr == "true"
    return x


def _shift(kind, a, b):
    sym = "`<<`" if kind == "shl" else "`>>`"
    x, y = _unify(a, b, sym)
    if x._type != INDEX:
        raise TraceError(f"{sym} needs integer (index) values", construct=sym)
    opname = "arith.shli" if kind == "shl" else "arith.shrsi"
    return x._trace.op(opname, [x, y], INDEX, _binary_fmt(INDEX))


def _negate(x: Tracer):
    if x._type == BOOL:
        raise TraceError("unary `-` on a boolean value; use `~` for negation",
                         construct="unary -")
    if x._type == INDEX:
        return _arith("sub", 0, x)
    return x._trace.op("arith.negf", [x], F32, "{op} {0} : f32")


def _invert(x: Tracer):
    if x._type == BOOL:
        return _bitwise("xor", x, True)
    if x._type == INDEX:
        return _bitwise("xor", x, -1)
    raise TraceError("`~` on a float value", construct="`~`")


_CMPI = {"lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge", "eq": "eq", "ne": "ne"}
# Ordered predicates, except `!=` which is true for NaN as in Python.
_CMPF = {"lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge", "eq": "oeq", "ne": "une"}
_CMP_SYMBOL = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


def _compare(kind, a, b):
    sym = f"`{_CMP_SYMBOL[kind]}`"
    a, b = _check_operand(a, sym), _check_operand(b, sym)
    if not isinstance(a, Tracer) and not isinstance(b, Tracer):
        return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b,
                "eq": a == b, "ne": a != b}[kind]
    x, y = _unify(a, b, sym)
    if x._type == F32:
        return x._trace.op("arith.cmpf", [x, y], BOOL,
                           "{op} " + _CMPF[kind] + ", {0}, {1} : f32")
    if x._type == BOOL and kind not in ("eq", "ne"):
        raise TraceError(f"ordering comparison {sym} of boolean values",
                         construct=sym)
    return x._trace.op("arith.cmpi", [x, y], BOOL,
                       "{op} " + _CMPI[kind] + ", {0}, {1} : " + x._type)


# ===----------------------------------------------------------------------=== #
# The math namespace
# ===----------------------------------------------------------------------=== #


def _float_unary(name, mlir_op, py):
    def fn(x):
        x = _check_operand(x, f"math.{name}")
        if not isinstance(x, Tracer):
            if isinstance(x, bool):
                raise TraceError(f"math.{name} of a boolean", construct=f"math.{name}")
            return py(float(x))
        if x._type != F32:
            raise TraceError(
                f"math.{name} needs a float value, got {_TYPE_WORDS[x._type]}; "
                "float operations on index values need an explicit conversion, "
                "math.to_float(x)", construct=f"math.{name}")
        return x._trace.op(mlir_op, [x], F32, "{op} {0} : f32")
    fn.__name__ = name
    fn.__qualname__ = f"math.{name}"
    fn.__doc__ = f"``{mlir_op}`` on f32 values (Python numbers are computed directly)."
    return fn


def _py_sigmoid(x):
    return 1.0 / (1.0 + _pymath.exp(-x))


class _Math:
    """Functions usable inside traced mask / score_mod functions.

    Float functions take f32 values; integer positions must be converted
    with :meth:`to_float` first. On plain Python numbers every function
    computes the result directly.
    """

    pi = _pymath.pi
    e = _pymath.e
    inf = _pymath.inf

    tanh = staticmethod(_float_unary("tanh", "math.tanh", _pymath.tanh))
    exp = staticmethod(_float_unary("exp", "math.exp", _pymath.exp))
    exp2 = staticmethod(_float_unary("exp2", "math.exp2", lambda x: 2.0 ** x))
    expm1 = staticmethod(_float_unary("expm1", "math.expm1", _pymath.expm1))
    log = staticmethod(_float_unary("log", "math.log", _pymath.log))
    log2 = staticmethod(_float_unary("log2", "math.log2", _pymath.log2))
    log1p = staticmethod(_float_unary("log1p", "math.log1p", _pymath.log1p))
    sqrt = staticmethod(_float_unary("sqrt", "math.sqrt", _pymath.sqrt))
    rsqrt = staticmethod(_float_unary("rsqrt", "math.rsqrt", lambda x: 1.0 / _pymath.sqrt(x)))
    sin = staticmethod(_float_unary("sin", "math.sin", _pymath.sin))
    cos = staticmethod(_float_unary("cos", "math.cos", _pymath.cos))
    erf = staticmethod(_float_unary("erf", "math.erf", _pymath.erf))
    floor = staticmethod(_float_unary("floor", "math.floor", lambda x: float(_pymath.floor(x))))
    ceil = staticmethod(_float_unary("ceil", "math.ceil", lambda x: float(_pymath.ceil(x))))

    @staticmethod
    def sigmoid(x):
        """``1 / (1 + exp(-x))`` on f32."""
        x = _check_operand(x, "math.sigmoid")
        if not isinstance(x, Tracer):
            return _py_sigmoid(float(x))
        return 1.0 / (1.0 + math.exp(-x))

    @staticmethod
    def abs(x):
        """``math.absf`` on floats; ``x < 0 ? -x : x`` on integers."""
        x = _check_operand(x, "math.abs")
        if not isinstance(x, Tracer):
            return builtins.abs(x)
        if x._type == F32:
            return x._trace.op("math.absf", [x], F32, "{op} {0} : f32")
        if x._type == INDEX:
            return math.where(x < 0, -x, x)
        raise TraceError("math.abs of a boolean", construct="math.abs")

    @staticmethod
    def where(cond, x, y):
        """``arith.select``: ``x`` where ``cond`` holds, else ``y``."""
        cond = _check_operand(cond, "math.where")
        if not isinstance(cond, Tracer):
            return x if cond else y
        if cond._type != BOOL:
            raise TraceError(
                f"math.where needs a boolean condition, got {_TYPE_WORDS[cond._type]}",
                construct="math.where")
        x, y = _check_operand(x, "math.where"), _check_operand(y, "math.where")
        if not isinstance(x, Tracer) and not isinstance(y, Tracer):
            if isinstance(x, bool) and isinstance(y, bool):
                t = BOOL
            elif isinstance(x, float) or isinstance(y, float):
                t = F32
            else:
                t = INDEX
            x, y = _lift(x, t, cond._trace, "math.where"), _lift(y, t, cond._trace, "math.where")
        else:
            x, y = _unify(x, y, "math.where")
        return cond._trace.op("arith.select", [cond, x, y], x._type,
                              "{op} {0}, {1}, {2} : " + x._type)

    @staticmethod
    def minimum(a, b):
        """``arith.minsi`` on integers, ``arith.minimumf`` on floats."""
        return _minmax("min", a, b)

    @staticmethod
    def maximum(a, b):
        """``arith.maxsi`` on integers, ``arith.maximumf`` on floats."""
        return _minmax("max", a, b)

    @staticmethod
    def clamp(x, lo, hi):
        """``minimum(maximum(x, lo), hi)``."""
        return math.minimum(math.maximum(x, lo), hi)

    @staticmethod
    def floordiv(a, b):
        """Floor division (Python's ``//``): ``arith.floordivsi`` on integers."""
        return _arith("floordiv", a, b)

    @staticmethod
    def mod(a, b):
        """Python's ``%`` (sign of the divisor)."""
        return _arith("mod", a, b)

    @staticmethod
    def truncdiv(a, b):
        """Integer division rounding toward zero (``arith.divsi``)."""
        a, b = _check_operand(a, "math.truncdiv"), _check_operand(b, "math.truncdiv")
        if not isinstance(a, Tracer) and not isinstance(b, Tracer):
            q = builtins.abs(a) // builtins.abs(b)
            return q if (a >= 0) == (b >= 0) else -q
        x, y = _unify(a, b, "math.truncdiv")
        if x._type != INDEX:
            raise TraceError("math.truncdiv needs integer values", construct="math.truncdiv")
        return x._trace.op("arith.divsi", [x, y], INDEX, _binary_fmt(INDEX))

    @staticmethod
    def rem(a, b):
        """C remainder (sign of the dividend, ``arith.remsi``)."""
        a, b = _check_operand(a, "math.rem"), _check_operand(b, "math.rem")
        if not isinstance(a, Tracer) and not isinstance(b, Tracer):
            return _pymath.fmod(a, b) if isinstance(a, float) or isinstance(b, float) \
                else a - b * math.truncdiv(a, b)
        x, y = _unify(a, b, "math.rem")
        if x._type != INDEX:
            raise TraceError("math.rem needs integer values", construct="math.rem")
        return x._trace.op("arith.remsi", [x, y], INDEX, _binary_fmt(INDEX))

    @staticmethod
    def pow(a, b):
        """``a ** b`` (``math.powf`` on floats)."""
        return _power(a, b)

    @staticmethod
    def to_float(x):
        """An integer (index) or boolean value as f32 (``arith.sitofp``)."""
        x = _check_operand(x, "math.to_float")
        if not isinstance(x, Tracer):
            return float(x)
        if x._type == F32:
            return x
        t = x._trace
        if x._type == BOOL:
            return math.where(x, 1.0, 0.0)
        i = t.op("arith.index_cast", [x], I64, "{op} {0} : index to i64")
        return t.op("arith.sitofp", [i], F32, "{op} {0} : i64 to f32")

    @staticmethod
    def to_int(x):
        """A float value truncated toward zero to an integer (``arith.fptosi``)."""
        x = _check_operand(x, "math.to_int")
        if not isinstance(x, Tracer):
            return int(x)
        if x._type == INDEX:
            return x
        if x._type == BOOL:
            return math.where(x, 1, 0)
        t = x._trace
        i = t.op("arith.fptosi", [x], I64, "{op} {0} : f32 to i64")
        return t.op("arith.index_cast", [i], INDEX, "{op} {0} : i64 to index")

    def __repr__(self):
        return "attn_opt.math"


def _minmax(kind, a, b):
    what = f"math.{kind}imum"
    a, b = _check_operand(a, what), _check_operand(b, what)
    if not isinstance(a, Tracer) and not isinstance(b, Tracer):
        return builtins.min(a, b) if kind == "min" else builtins.max(a, b)
    x, y = _unify(a, b, what)
    if x._type == BOOL:
        raise TraceError(f"{what} of boolean values; use `&` / `|`", construct=what)
    if x._type == INDEX:
        opname = "arith.minsi" if kind == "min" else "arith.maxsi"
    else:
        opname = "arith.minimumf" if kind == "min" else "arith.maximumf"
    return x._trace.op(opname, [x, y], x._type, _binary_fmt(x._type))


math = _Math()
"""The math namespace of traced functions (also ``attn_opt.math``)."""


# ===----------------------------------------------------------------------=== #
# Sequence lengths and the two index alignments
# ===----------------------------------------------------------------------=== #


def query_length():
    """``Nq``, the query sequence length, inside a traced function
    (``attn.query_length``): regions stay shape-generic."""
    return _current_trace("query_length()").op(
        "attn.query_length", [], INDEX, "{op} : index")


def key_length():
    """``Nk``, the key sequence length, inside a traced function
    (``attn.key_length``), e.g. a sigmoid bias of ``-math.log(Nk)``."""
    return _current_trace("key_length()").op(
        "attn.key_length", [], INDEX, "{op} : index")


def top_left(q):
    """The query index as traced functions receive it: query ``q`` and key
    ``kv`` are raw positions, aligned at the start of both sequences
    (``kv <= top_left(q)`` is FlexAttention's causal mask). Returns ``q``."""
    q = _check_operand(q, "top_left")
    if not isinstance(q, Tracer) or q._type != INDEX:
        raise TraceError("top_left expects the query index of a traced function",
                         construct="top_left")
    return q


def bottom_right(q):
    """The query position aligned to the end of the keys, ``q + Nk - Nq``
    (``attn.aligned_query``): the convention of the attribute masks, so
    ``kv <= bottom_right(q)`` is :func:`causal` also when ``Nq != Nk``
    (decoding with a KV cache)."""
    q = _check_operand(q, "bottom_right")
    if not isinstance(q, Tracer) or q._type != INDEX:
        raise TraceError("bottom_right expects the query index of a traced "
                         "function", construct="bottom_right")
    return q._trace.op("attn.aligned_query", [q], INDEX, "{op} {0} : index")

_UFUNCS: Dict[str, Callable] = {
    "add": lambda a, b: _arith("add", a, b),
    "subtract": lambda a, b: _arith("sub", a, b),
    "multiply": lambda a, b: _arith("mul", a, b),
    "true_divide": lambda a, b: _arith("truediv", a, b),
    "divide": lambda a, b: _arith("truediv", a, b),
    "floor_divide": lambda a, b: _arith("floordiv", a, b),
    "remainder": lambda a, b: _arith("mod", a, b),
    "power": _power,
    "negative": lambda a: -a,
    "positive": lambda a: +a,
    "absolute": math.abs,
    "fabs": math.abs,
    "tanh": math.tanh, "exp": math.exp, "exp2": math.exp2, "expm1": math.expm1,
    "log": math.log, "log2": math.log2, "log1p": math.log1p, "sqrt": math.sqrt,
    "sin": math.sin, "cos": math.cos, "floor": math.floor, "ceil": math.ceil,
    "square": lambda a: a * a,
    "minimum": math.minimum, "maximum": math.maximum,
    "fmin": math.minimum, "fmax": math.maximum,
    "less": lambda a, b: _compare("lt", a, b),
    "less_equal": lambda a, b: _compare("le", a, b),
    "greater": lambda a, b: _compare("gt", a, b),
    "greater_equal": lambda a, b: _compare("ge", a, b),
    "equal": lambda a, b: _compare("eq", a, b),
    "not_equal": lambda a, b: _compare("ne", a, b),
    "logical_and": lambda a, b: _bitwise("and", a, b),
    "logical_or": lambda a, b: _bitwise("or", a, b),
    "logical_xor": lambda a, b: _bitwise("xor", a, b),
    "logical_not": lambda a: _invert(a) if isinstance(a, Tracer) else (not a),
    "bitwise_and": lambda a, b: _bitwise("and", a, b),
    "bitwise_or": lambda a, b: _bitwise("or", a, b),
    "bitwise_xor": lambda a, b: _bitwise("xor", a, b),
    "invert": lambda a: ~a,
}

_ARRAY_FUNCTIONS: Dict[str, Callable] = {
    "where": math.where,
    "clip": math.clamp,
}


# ===----------------------------------------------------------------------=== #
# Tracing functions
# ===----------------------------------------------------------------------=== #

_MASK_ARGS = ("b", "h", "q_idx", "kv_idx")
# The roles of a spec's operands, the table the C++ runner and reference
# read too (attn/Dialect/Attn/OperandRoles.h): name -> {shape, elements,
# optional, attention_operand}, in the op's operand order.
_OPERAND_ROLES = {role["name"]: role for role in _core.operand_roles()}
# SSA names of the spec function: region names must differ from them (a
# region sees the names of the enclosing function). Captures are passed to
# the function as %cap.<name>, which no Python identifier can clash with.
_FUNCTION_NAMES = {"q", "k", "v", "o", "lse"} | {
    name for name, role in _OPERAND_ROLES.items() if role["optional"]}
_SCORE_ARGS = ("score", "b", "h", "q_idx", "kv_idx")
_WEIGHT_ARGS = ("weight", "score", "b", "h", "q_idx", "kv_idx")
# Region kind: default argument names, argument types (the op's block
# arguments before the captures), result type, what the function is called.
# Masks are and-ed; modifications chain through their first argument.
_REGION_KINDS = {
    "mask_fn": (_MASK_ARGS, (INDEX,) * 4, BOOL, "mask function"),
    "score_mod": (_SCORE_ARGS, (F32,) + (INDEX,) * 4, F32, "score_mod function"),
    "weight_mod": (_WEIGHT_ARGS, (F32, F32) + (INDEX,) * 4, F32, "weight_mod function"),
}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _callable_name(fn) -> str:
    if isinstance(fn, _ComposedMaskFn):
        return fn.describe()
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) \
        or type(fn).__name__


def _check_arity(fn, count: int, kind: str, expected: Sequence[str]):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        raise TraceError(
            f"cannot trace {kind} {fn!r}: it is not a Python function with an "
            "inspectable signature", construct="callable") from None
    try:
        sig.bind(*range(count))
    except TypeError:
        raise TraceError(
            f"{kind} {_callable_name(fn)!r} must accept {count} positional "
            f"arguments ({', '.join(expected)}); its signature is {sig}",
            construct="signature") from None
    names = []
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    names = names[:count]
    if len(names) < count:
        names = list(expected)
    return names


def _region_arg_names(names: Sequence[str], defaults: Sequence[str],
                      reserved: set) -> List[str]:
    out = []
    for n, default in zip(names, defaults):
        cand = n if _IDENT.match(n) else default
        if cand in reserved or cand in out:
            cand = default
        while cand in reserved or cand in out:
            cand += "_"
        out.append(cand)
    return out


def _with_captures(fn, captures_by_name: Dict[str, Captured]):
    """`fn` with the NumPy arrays of its closure, globals and defaults
    replaced by Captured proxies (recorded in `captures_by_name`)."""
    if isinstance(fn, _ComposedMaskFn):
        return fn.map_leaves(lambda f: _with_captures(f, captures_by_name))
    if not isinstance(fn, types.FunctionType):
        return fn

    def proxy(value, name):
        if _is_torch_tensor(value) and value.ndim > 0:
            value_key = f"{name}#{id(value)}"
            if value_key not in captures_by_name:
                captures_by_name[value_key] = Captured(value, name)
            return captures_by_name[value_key]
        if isinstance(value, np.ndarray) and value.dtype != object:
            key = f"{name}#{id(value)}"
            if key not in captures_by_name:
                captures_by_name[key] = Captured(value, name)
            return captures_by_name[key]
        if isinstance(value, Captured) and value.name is None:
            value.name = name
        return value

    closure = fn.__closure__
    if closure:
        cells = []
        for var, cell in zip(fn.__code__.co_freevars, closure):
            try:
                contents = cell.cell_contents
            except ValueError:  # empty cell
                cells.append(cell)
                continue
            cells.append(types.CellType(proxy(contents, var)))
        closure = tuple(cells)
    globals_ = fn.__globals__
    replaced = {}
    for name in _code_names(fn.__code__):
        if name in globals_:
            value = globals_[name]
            new = proxy(value, name)
            if new is not value:
                replaced[name] = new
    if replaced:
        globals_ = dict(globals_)
        globals_.update(replaced)
    defaults = fn.__defaults__
    if defaults:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.default is not inspect.Parameter.empty]
        defaults = tuple(proxy(d, p.name) for d, p in zip(defaults, params[-len(defaults):]))
    new = types.FunctionType(fn.__code__, globals_, fn.__name__, defaults, closure)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__qualname__ = fn.__qualname__
    return new


def _code_names(code) -> set:
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _code_names(c)
    return names


def _user_location(tb) -> str:
    """`file:line: source` of the innermost frame outside this package."""
    where = ""
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if filename.startswith(_PACKAGE_DIR):
            continue
        where = f"{filename}:{lineno}"
        try:
            import linecache
            line = linecache.getline(filename, lineno).strip()
        except Exception:  # pragma: no cover
            line = ""
        if line:
            where += f": {line}"
    return where


def _run_traced(fn, kind: str, trace: _Trace, args):
    _active.stack.append(trace)
    try:
        return fn(*args)
    except TraceError as e:
        where = _user_location(e.__traceback__)
        name = _callable_name(fn)
        msg = f"cannot trace {kind} {name!r}: {e.detail}"
        if where:
            msg += f"\n  at {where}"
        err = TraceError(msg, construct=e.construct, where=where)
        raise err from None
    except RecursionError:
        raise
    except Exception as e:
        where = _user_location(e.__traceback__)
        msg = (f"cannot trace {kind} {_callable_name(fn)!r}: it raised "
               f"{type(e).__name__}: {e} (a function that does not accept "
               "traced values was probably called; only Python operators and "
               "attn_opt.math are traceable)")
        if where:
            msg += f"\n  at {where}"
        raise TraceError(msg, construct="call", where=where) from e
    finally:
        _active.stack.pop()


class TracedRegion:
    """A traced function: its trace, result and the captures it reads."""

    def __init__(self, kind, trace, result):
        self.kind, self.trace, self.result = kind, trace, result


def _torch_value_class():
    from ._torch_trace import TorchTracer  # imports torch: only for torch traces
    return TorchTracer


def _trace_fn(fns: Sequence[Callable], kind: str, captures: _CaptureSet,
              captures_by_name: Dict[str, Captured],
              tracing: str = "python") -> TracedRegion:
    """Traces one region of `kind` (a key of _REGION_KINDS) from `fns`:
    masks are and-ed, modifications chained."""
    expected, types_, want, label = _REGION_KINDS[kind]
    names = None
    for fn in fns:
        if not callable(fn):
            raise TraceError(f"{kind}: {fn!r} is not callable", construct="callable")
        leaves = fn.leaves() if isinstance(fn, _ComposedMaskFn) else [fn]
        for leaf in leaves:
            n = _check_arity(leaf, len(expected), label, expected)
            names = names or n
    trace = _Trace(kind, _region_arg_names(names, expected, _FUNCTION_NAMES), types_,
                   captures, tracing)
    args = list(trace.args)
    result = None
    for fn in fns:
        wrapped = _with_captures(fn, captures_by_name)
        if want == BOOL:
            r = _check_result(_run_traced(wrapped, label, trace, args), want, fn, label, trace)
            result = r if result is None else _bitwise("and", result, r)
        else:
            first = args[0] if result is None else result
            r = _run_traced(wrapped, label, trace, [first] + args[1:])
            result = _check_result(r, want, fn, label, trace)
    if not isinstance(result, Tracer):
        result = trace.const(result, want)
    return TracedRegion(kind, trace, result)


def _check_result(r, want, fn, label, trace):
    r = _python_scalar(r)
    name = _callable_name(fn)
    if isinstance(r, Tracer):
        if r._trace is not trace:
            raise TraceError(f"{label} {name!r} returned a value of another trace",
                             construct="return")
        if r._type != want:
            hint = ("compare it (e.g. `x != 0`)" if want == BOOL
                    else "convert it with math.to_float(x)")
            raise TraceError(
                f"{label} {name!r} must return {_TYPE_WORDS[want]}, got "
                f"{_TYPE_WORDS[r._type]}; {hint}", construct="return")
        return r
    if want == BOOL and isinstance(r, bool):
        return trace.const(r, BOOL)
    if want == F32 and isinstance(r, (int, float)) and not isinstance(r, bool):
        return trace.const(float(r), F32)
    raise TraceError(
        f"{label} {name!r} must return {_TYPE_WORDS[want]}, got "
        f"{type(r).__name__} {r!r}", construct="return")


def _render_region(region: TracedRegion, captures: List[Captured],
                   capture_names: List[str], indent: str) -> List[str]:
    return region.trace.render(region.result, [c.tensor_type for c in captures],
                               capture_names, indent)


def trace_mask(fn: Callable) -> str:
    """The ``mask_fn`` region text of a mask function (for inspection)."""
    return _region_text(Spec(mask=fn).text, "mask_fn")


def trace_score_mod(fn: Callable) -> str:
    """The ``score_mod`` region text of a score_mod function (for inspection)."""
    return _region_text(Spec(score_mod=fn).text, "score_mod")


def trace_weight_mod(fn: Callable) -> str:
    """The ``weight_mod`` region text of a weight_mod function (for inspection)."""
    return _region_text(Spec(weight_mod=fn).text, "weight_mod")


def _region_text(text: str, label: str) -> str:
    import textwrap
    m = re.search(r"^( *)" + label + r" \{\n.*?\n\1\}", text, re.S | re.M)
    return textwrap.dedent(m.group(0)) if m else ""


# ===----------------------------------------------------------------------=== #
# Masks
# ===----------------------------------------------------------------------=== #


def _int(value, what, minimum=None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value}")
    return value


class Mask:
    """A mask: an attribute (``#attn.causal``...), a traced function, or a
    combination. Combine with ``&``, ``|``, ``~`` or :func:`and_`,
    :func:`or_`, :func:`not_`.

    At the top level, the attribute part and the traced part of a
    conjunction are kept apart (``mask(...)`` and ``mask_fn``); inside
    :func:`or_` / :func:`not_` attributes and functions cannot be mixed,
    because positional attributes compare the *aligned* query position
    ``p = i + Nk - Nq`` while regions receive raw indices.
    """

    def __and__(self, other):
        return and_(self, other)

    def __rand__(self, other):
        return and_(other, self)

    def __or__(self, other):
        return or_(self, other)

    def __ror__(self, other):
        return or_(other, self)

    def __invert__(self):
        return not_(self)

    # Subclasses: attribute text, operand requirements.
    def _attr(self) -> str:
        raise NotImplementedError

    def _uses(self) -> set:
        return set()


class AttrMask(Mask):
    """A mask attribute of the dialect."""

    def __init__(self, text: str, uses: Optional[set] = None, operands=None):
        self.text = text
        self.uses = set(uses or ())
        self.operands = dict(operands or {})

    def _attr(self):
        return self.text

    def _uses(self):
        return self.uses

    def __repr__(self):
        return self.text

    def __eq__(self, other):
        return isinstance(other, AttrMask) and other.text == self.text

    __hash__ = object.__hash__


class FnMask(Mask):
    """A Python mask function ``(b, h, q_idx, kv_idx) -> bool``, traced."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __repr__(self):
        return f"FnMask({_callable_name(self.fn)})"


class _Combine(Mask):
    def __init__(self, kind, children):
        self.kind, self.children = kind, list(children)

    def __repr__(self):
        return f"{self.kind}_({', '.join(map(repr, self.children))})"


def _as_mask(m) -> Mask:
    if isinstance(m, Mask):
        return m
    if isinstance(m, (list, tuple)):
        return and_(*m)
    if callable(m):
        return FnMask(m)
    raise TypeError(f"not a mask: {m!r} (use an attribute helper such as "
                    "causal(), a function (b, h, q_idx, kv_idx) -> bool, or a "
                    "combination)")


def _pure_attr(m: Mask) -> bool:
    if isinstance(m, AttrMask):
        return True
    if isinstance(m, _Combine):
        return all(_pure_attr(c) for c in m.children)
    return False


def _pure_fn(m: Mask) -> bool:
    if isinstance(m, FnMask):
        return True
    if isinstance(m, _Combine):
        return all(_pure_fn(c) for c in m.children)
    return False


def _attr_text(m: Mask) -> str:
    if isinstance(m, AttrMask):
        return m.text
    inner = ", ".join(_attr_text(c) for c in m.children)
    if m.kind == "not":
        return f"#attn.not<{inner}>"
    return f"#attn.{m.kind}<[{inner}]>"


def _attr_uses(m: Mask) -> set:
    if isinstance(m, AttrMask):
        return set(m.uses)
    out = set()
    for c in getattr(m, "children", []):
        out |= _attr_uses(c)
    return out


def _attr_operands(m: Mask) -> dict:
    if isinstance(m, AttrMask):
        return dict(m.operands)
    out = {}
    for c in getattr(m, "children", []):
        out.update(_attr_operands(c))
    return out


def _fold_not(x):
    return (not x) if isinstance(x, bool) else ~x


class _ComposedMaskFn:
    """Mask functions combined by and_/or_/not_, traced as one function.
    Its leaves are the user's functions (whose arrays get captured)."""

    def __init__(self, kind: str, children: List[Callable]):
        self.kind, self.children = kind, children

    def __call__(self, b, h, q_idx, kv_idx):
        results = [f(b, h, q_idx, kv_idx) for f in self.children]
        if self.kind == "not":
            return _fold_not(results[0])
        result = results[0]
        for r in results[1:]:
            result = _bitwise(self.kind, result, r)
        return result

    def leaves(self) -> List[Callable]:
        out = []
        for c in self.children:
            out += c.leaves() if isinstance(c, _ComposedMaskFn) else [c]
        return out

    def map_leaves(self, fn) -> "_ComposedMaskFn":
        return _ComposedMaskFn(self.kind, [
            c.map_leaves(fn) if isinstance(c, _ComposedMaskFn) else fn(c)
            for c in self.children])

    def describe(self) -> str:
        return f"{self.kind}_({', '.join(_callable_name(f) for f in self.children)})"


def _fn_of(m: Mask) -> Callable:
    """A single function computing a pure-function mask tree."""
    if isinstance(m, FnMask):
        return m.fn
    return _ComposedMaskFn(m.kind, [_fn_of(c) for c in m.children])


def _split_mask(m: Mask):
    """(attribute text or None, operand uses, bound operands, [functions])."""
    parts = m.children if isinstance(m, _Combine) and m.kind == "and" else [m]
    flat = []
    while parts:
        p = parts.pop(0)
        if isinstance(p, _Combine) and p.kind == "and":
            parts = list(p.children) + parts
        else:
            flat.append(p)
    attrs, fns = [], []
    for p in flat:
        if _pure_attr(p):
            attrs.append(p)
        elif _pure_fn(p):
            fns.append(_fn_of(p))
        else:
            raise TraceError(
                f"{p!r} mixes attribute masks and traced functions under "
                "or_/not_; attribute masks compare the aligned query position "
                "p = i + Nk - Nq while functions receive raw indices. Write the "
                "whole combination as one function, or use attributes only",
                construct="or_/not_")
    text = None
    if len(attrs) == 1:
        text = _attr_text(attrs[0])
    elif attrs:
        text = _attr_text(_Combine("and", attrs))
    uses, operands = set(), {}
    for a in attrs:
        uses |= _attr_uses(a)
        operands.update(_attr_operands(a))
    return text, uses, operands, fns


def full() -> AttrMask:
    """Every query attends to every key (``#attn.full``)."""
    return AttrMask("#attn.full")


def causal() -> AttrMask:
    """``j <= p`` with the bottom-right aligned position ``p = i + Nk - Nq``."""
    return AttrMask("#attn.causal")


def window(left: int, right: int = 0) -> AttrMask:
    """Sliding window ``p - left <= j <= p + right``; a causal window of W
    tokens is ``window(W - 1, 0)``."""
    return AttrMask(f"#attn.window<left = {_int(left, 'left')}, "
                    f"right = {_int(right, 'right')}>")


def sinks(count: int) -> AttrMask:
    """The first ``count`` keys (attention sinks): ``j < count``."""
    return AttrMask(f"#attn.sinks<{_int(count, 'count')}>")


def strided(stride: int, block: int = 1, offset: int = 0, head_step: int = 0) -> AttrMask:
    """Keys in every ``stride``-th block of ``block`` keys, offset per head:
    ``(j // block - (offset + h * head_step)) mod stride == 0``.
    S2-Attention's shard ``(J + h*sigma + 1) mod S == 0`` is
    ``strided(S, block, offset=-1, head_step=-sigma)``."""
    return AttrMask(f"#attn.strided<stride = {_int(stride, 'stride')}, "
                    f"block = {_int(block, 'block')}, offset = {_int(offset, 'offset')}, "
                    f"head_step = {_int(head_step, 'head_step')}>")


def dilated(rate: int) -> AttrMask:
    """Keys at a distance that is a multiple of ``rate``: ``(p - j) mod rate == 0``."""
    return AttrMask(f"#attn.dilated<{_int(rate, 'rate')}>")


def chunked(size: int) -> AttrMask:
    """Block-diagonal attention within chunks of ``size`` tokens."""
    return AttrMask(f"#attn.chunked<{_int(size, 'size')}>")


def prefix_lm(prefix: int) -> AttrMask:
    """Bidirectional over the first ``prefix`` keys, causal after."""
    return AttrMask(f"#attn.prefix_lm<{_int(prefix, 'prefix')}>")


def document(q_segment_ids=None, kv_segment_ids=None) -> AttrMask:
    """Queries attend only to keys of the same document:
    ``q_segment_ids[b, i] == kv_segment_ids[b, j]``.

    The ids (integer arrays ``[B, Nq]`` and ``[B, Nk]``) are operands of the
    spec: pass them to :func:`attn_opt.run` as ``q_segment_ids=`` /
    ``kv_segment_ids=`` (or ``segment_ids=`` for both), or bind them here.
    """
    operands = {}
    if q_segment_ids is not None:
        operands["q_segment_ids"] = q_segment_ids
        operands["kv_segment_ids"] = q_segment_ids if kv_segment_ids is None else kv_segment_ids
    elif kv_segment_ids is not None:
        raise ValueError("document(): kv_segment_ids given without q_segment_ids")
    return AttrMask("#attn.document", {"segment_ids"}, operands)


def block_sparse(block_q: int, block_kv: int, layout=None) -> AttrMask:
    """Block-sparse layout: ``layout[b, h, i // block_q, j // block_kv] != 0``.
    The layout (integer or bool ``[B|1, Hq|1, ceil(Nq/block_q),
    ceil(Nk/block_kv)]``) is the ``block_layout`` operand."""
    operands = {"block_layout": layout} if layout is not None else {}
    return AttrMask(f"#attn.block_sparse<block_q = {_int(block_q, 'block_q', 1)}, "
                    f"block_kv = {_int(block_kv, 'block_kv', 1)}>",
                    {"block_layout"}, operands)


def _int_list(values, what) -> List[int]:
    if isinstance(values, numbers.Integral):
        values = [values]
    return [_int(v, what) for v in values]


def neighborhood(grid, kernel, dilation=None, causal=None) -> AttrMask:
    """Neighborhood attention (NATTEN) over a 1-D/2-D/3-D row-major grid;
    one grid extent may be -1 (inferred). ``dilation`` defaults to 1 and
    ``causal`` to False per axis."""
    g, k = _int_list(grid, "grid"), _int_list(kernel, "kernel")
    text = f"#attn.neighborhood<grid = [{', '.join(map(str, g))}], kernel = [{', '.join(map(str, k))}]"
    if dilation is not None:
        d = _int_list(dilation, "dilation")
        text += f", dilation = [{', '.join(map(str, d))}]"
    if causal is not None:
        c = [causal] if isinstance(causal, bool) else list(causal)
        text += ", causal = [" + ", ".join("true" if bool(x) else "false" for x in c) + "]"
    return AttrMask(text + ">")


def and_(*masks) -> Mask:
    """Conjunction of masks (attributes, functions or both)."""
    if len(masks) == 1 and isinstance(masks[0], (list, tuple)):
        masks = tuple(masks[0])
    if not masks:
        raise ValueError("and_() needs at least one mask")
    ms = [_as_mask(m) for m in masks]
    return ms[0] if len(ms) == 1 else _Combine("and", ms)


def or_(*masks) -> Mask:
    """Disjunction of masks (all attributes or all functions)."""
    if len(masks) == 1 and isinstance(masks[0], (list, tuple)):
        masks = tuple(masks[0])
    if not masks:
        raise ValueError("or_() needs at least one mask")
    ms = [_as_mask(m) for m in masks]
    return ms[0] if len(ms) == 1 else _Combine("or", ms)


def not_(mask) -> Mask:
    """Complement of a mask."""
    return _Combine("not", [_as_mask(mask)])


def per_head(masks, heads=None) -> AttrMask:
    """A different attribute mask per query head: head ``h`` uses
    ``masks[heads[h]]`` (or ``masks[h]`` without ``heads``). Fixes the number
    of query heads."""
    ms = [_as_mask(m) for m in masks]
    for m in ms:
        if not _pure_attr(m):
            raise TraceError("per_head() takes attribute masks only; for a "
                             "per-head function, read h inside the function",
                             construct="per_head")
    text = "#attn.per_head<masks = [" + ", ".join(_attr_text(m) for m in ms) + "]"
    if heads is not None:
        text += ", heads = [" + ", ".join(str(_int(h, "heads")) for h in heads) + "]"
    uses, operands = set(), {}
    for m in ms:
        uses |= _attr_uses(m)
        operands.update(_attr_operands(m))
    return AttrMask(text + ">", uses, operands)


# ===----------------------------------------------------------------------=== #
# Score modifications and normalizations
# ===----------------------------------------------------------------------=== #


class ScoreMod:
    """A score modification attribute (:func:`softcap`, :func:`alibi`)."""

    def __init__(self, text: str, operands=None):
        self.text = text
        self.operands = dict(operands or {})

    def __repr__(self):
        return self.text


def softcap(cap: float) -> ScoreMod:
    """Logit soft-capping ``s <- cap * tanh(s / cap)``."""
    cap = float(cap)
    if not _pymath.isfinite(cap) or cap <= 0:
        raise ValueError(f"softcap must be positive and finite, got {cap}")
    return ScoreMod(f"#attn.softcap<{_float_literal(cap)}>")


def alibi(slopes=None) -> ScoreMod:
    """ALiBi ``s <- s - m_h * |p - j|``; without ``slopes`` the paper's
    geometric slopes for Hq heads, else the given ``[Hq]`` array (bound to
    the spec as its ``alibi_slopes`` operand)."""
    operands = {}
    if slopes is not None:
        operands["alibi_slopes"] = np.asarray(slopes, dtype=np.float32)
    return ScoreMod("#attn.alibi", operands)


class Normalization:
    """How scores become weights (``#attn.normalize<...>``)."""

    KINDS = ("softmax", "sigmoid", "softplus", "relu", "identity")

    def __init__(self, kind: str = "softmax", bias: float = 0.0, l1: bool = False):
        if kind not in self.KINDS:
            raise ValueError(f"unknown normalization {kind!r}; one of {self.KINDS}")
        self.kind, self.bias, self.l1 = kind, float(bias), bool(l1)

    @property
    def text(self) -> str:
        parts = [self.kind]
        if self.bias != 0.0:
            parts.append(f"bias = {_float_literal(self.bias)}")
        if self.l1:
            parts.append("l1")
        return f"#attn.normalize<{', '.join(parts)}>"

    def __repr__(self):
        return self.text


def softmax() -> Normalization:
    """Softmax over the kept keys (the default)."""
    return Normalization("softmax")


def sigmoid(bias: float = 0.0, l1: bool = False) -> Normalization:
    """``w = sigmoid(s + bias)``."""
    return Normalization("sigmoid", bias, l1)


def softplus(l1: bool = False) -> Normalization:
    """``w = log(1 + exp(s))``."""
    return Normalization("softplus", 0.0, l1)


def relu(l1: bool = False) -> Normalization:
    """``w = max(s, 0)``."""
    return Normalization("relu", 0.0, l1)


def identity(l1: bool = False) -> Normalization:
    """No normalization: ``w = s``; with ``l1=True`` each row's weights are
    divided by their sum (normalized linear attention)."""
    return Normalization("identity", 0.0, l1)


class FeatureMap:
    """The kernel feature map ``phi`` of linear attention
    (``#attn.feature_map<...>``): ``phi(q) . phi(k)`` replaces ``q . k`` in
    the scores.

    Elementwise kinds (``phi`` applied to every element): ``"elu_plus_one"``
    (``x + 1`` for ``x > 0``, else ``exp(x)``; Katharopoulos et al.),
    ``"relu"`` (``max(x, 0)``), ``"sigmoid"``, ``"exp"``, ``"silu"``
    (``x * sigmoid(x)``) and ``"identity"``. ``"softmax"`` normalizes each
    row over its ``D`` features. Kinds that map a whole row to ``F'``
    features: ``"taylor2"`` (Based: ``[1, x, vec(x x^T) / sqrt(2)]``,
    ``1 + D + D^2`` features) and ``"hedgehog"`` (learned: ``[exp(W x + b)
    || exp(-W x - b)]``, ``2F`` features, with
    ``Spec(feature_weight=..., feature_bias=...)`` giving ``W [Hq|1, F, D]``
    and ``b [Hq|1, F]``). ``Spec(feature_map=...)`` takes a kind name or a
    FeatureMap.

    ``keys`` gives the keys a map of their own (default: ``kind``), any of
    the kinds that keep ``D`` or a map over the whole key sequence:
    ``"sequence_softmax"`` (each key feature normalized over all the keys)
    or ``"sequence_scale"`` (K divided by the key count). Efficient
    Attention is ``FeatureMap("softmax", keys="sequence_softmax")`` with
    ``normalization=identity()`` and ``scale=1.0``, non-causal (the
    verifier refuses a sequence key map under a causal mask).

    Two key maps read the queries too, next to an elementwise query map
    ``kind`` that maps the keys as well: ``"query_weighted"`` (RALA: each
    mapped key times ``Nk * softmax_j(mean_i phi(q_i) . phi(k_j) /
    sqrt(D))``; ``FeatureMap("elu_plus_one", keys="query_weighted")`` with
    ``normalization=identity(l1=True)`` and ``scale=1.0``) and ``"flow"``
    (Flowformer's conservation flows: the keys weighted by the competition,
    each output row by the allocation over its incoming flow;
    ``FeatureMap("sigmoid", keys="flow")`` with ``normalization=identity()``
    and ``scale=1.0``). Both are non-causal and per query head; ``"flow"``
    takes the place of an ``output_gate`` (see ``#attn.feature_map``).
    """

    KINDS = ("elu_plus_one", "relu", "sigmoid", "exp", "silu", "hedgehog", "taylor2",
             "identity", "softmax")
    # Key maps only: they read the whole key sequence.
    SEQUENCE_KINDS = ("sequence_softmax", "sequence_scale")
    # Key maps only: they read the queries too (RALA, Flowformer).
    CROSS_KINDS = ("query_weighted", "flow")
    # The kinds that read Spec(feature_weight=..., feature_bias=...).
    WEIGHTED = ("hedgehog",)

    def __init__(self, kind: str, keys: Optional[str] = None):
        self.kind = self._checked(kind, self.KINDS)
        self.keys = kind if keys is None else self._checked(
            keys, self.KINDS + self.SEQUENCE_KINDS + self.CROSS_KINDS)

    @staticmethod
    def _checked(kind, kinds):
        if not isinstance(kind, str):
            raise TypeError(f"a feature map is named by a str, one of {kinds}; "
                            f"got {type(kind).__name__}")
        if kind not in kinds:
            raise ValueError(f"unknown feature map {kind!r}; one of {kinds}")
        return kind

    @property
    def text(self) -> str:
        if self.keys == self.kind:
            return f"#attn.feature_map<{self.kind}>"
        return f"#attn.feature_map<{self.kind}, keys = {self.keys}>"

    def __eq__(self, other):
        return (isinstance(other, FeatureMap) and other.kind == self.kind
                and other.keys == self.keys)

    def __hash__(self):
        return hash(("FeatureMap", self.kind, self.keys))

    def __repr__(self):
        return self.text


def _as_feature_map(value) -> Optional[FeatureMap]:
    if value is None or isinstance(value, FeatureMap):
        return value
    if isinstance(value, str):
        return FeatureMap(value)
    raise TypeError(f"feature_map must be a name ({', '.join(FeatureMap.KINDS)}) or "
                    f"an attn_opt.FeatureMap, got {type(value).__name__}")


# ===----------------------------------------------------------------------=== #
# Specs
# ===----------------------------------------------------------------------=== #

_DTYPES = {"f32": "f32", "float32": "f32", "f16": "f16", "float16": "f16",
           "half": "f16", "bf16": "bf16", "bfloat16": "bf16"}


def _dtype_name(dtype) -> str:
    if isinstance(dtype, str):
        key = dtype.lower()
    else:
        try:
            key = np.dtype(dtype).name
        except TypeError:
            key = str(dtype)
    if key not in _DTYPES:
        raise TypeError(f"unsupported spec dtype {dtype!r}: f32, f16 or bf16 "
                        "(bf16 inputs travel as uint16 arrays)")
    return _DTYPES[key]


# Operands given to Spec(...) directly: allowed ranks, the shape of `True`,
# whether an array may be bound. `True` or a tuple of 1 (broadcast) / None
# entries declares an operand passed at run time; an array is bound
# (spec.bound). Their element types and shapes come from _OPERAND_ROLES.
_SPEC_OPERAND_FORMS = {
    "bias": ((4,), (None,) * 4, False),
    "k_head_map": ((1, 2), (None,), True),
    "v_head_map": ((1, 2), (None,), True),
    "sink_logits": ((1,), (None,), True),
    "output_gate": ((3,), (None,) * 3, True),
    "decay": ((3, 4), (None,) * 3, True),
    "feature_weight": ((3,), (None,) * 3, True),
    "feature_bias": ((2,), (None,) * 2, True),
}
# name -> (element type, allowed ranks, shape of True, shape text, bindable).
_SPEC_OPERANDS = {
    name: ("i32" if _OPERAND_ROLES[name]["elements"] == "integer" else "f32",
           ranks, default, _OPERAND_ROLES[name]["shape"], bindable)
    for name, (ranks, default, bindable) in _SPEC_OPERAND_FORMS.items()}


def _is_one(d) -> bool:
    return isinstance(d, numbers.Integral) and not isinstance(d, (bool, np.bool_)) and d == 1


def _spec_operand(name: str, value) -> Optional[Tuple[str, Optional[np.ndarray]]]:
    """(tensor type, bound array or None) of the Spec argument `name`, or
    None when the operand is absent (None or False)."""
    if value is None or value is False:
        return None
    element, ranks, default, shape, bindable = _SPEC_OPERANDS[name]
    tuples = " or ".join(f"a {r}-tuple" for r in ranks)
    if value is True or isinstance(value, tuple) or (isinstance(value, list) and not bindable):
        dims = default if value is True else tuple(value)
        if len(dims) not in ranks or not all(d is None or _is_one(d) for d in dims):
            bind = ", or an array to bind" if bindable else ""
            raise ValueError(
                f"{name} must be True or {tuples} of 1 (broadcast) or None entries "
                f"(an operand {shape} passed at run time){bind}; got {value!r}")
        return "tensor<" + "".join("1x" if d == 1 else "?x" for d in dims) + element + ">", None
    if not bindable:
        raise ValueError(f"{name} must be True or {tuples} of 1 (broadcast) or None "
                         f"entries, got {type(value).__name__}")
    a = np.asarray(value)
    is_int = a.dtype != np.bool_ and np.issubdtype(a.dtype, np.integer)
    if element == "i32":
        if not is_int:
            raise TypeError(f"{name} must be an integer array, got dtype {a.dtype}")
        if a.size and (a.min() < -2 ** 31 or a.max() >= 2 ** 31):
            raise ValueError(f"{name} has values outside the range of i32")
    elif not (is_int or np.issubdtype(a.dtype, np.floating)):
        raise TypeError(f"{name} must be a float array, got dtype {a.dtype}")
    if a.ndim not in ranks or a.size == 0:
        raise ValueError(f"{name} must be a non-empty array {shape}, got shape {a.shape}")
    a = a.astype(np.int32 if element == "i32" else np.float32, order="C")
    return "tensor<" + "?x" * a.ndim + element + ">", a


class Spec:
    """An ``attn.attention`` spec: built from Python, or parsed from text.

    Built from Python::

        spec = Spec(mask=causal() & window(255), score_mod=softcap(30.0),
                    dtype="bf16")

    Arguments (all optional):
        mask: a mask attribute, a function ``(b, h, q_idx, kv_idx) -> bool``,
            a list (conjunction) or a combination (``&``, ``|``, ``~``).
        score_mod: a score-mod attribute, a function
            ``(score, b, h, q_idx, kv_idx) -> float``, or a list applied in
            order (attributes first, then functions).
        normalization: a :class:`Normalization` or its kind name.
        scale: the score scale (default ``1/sqrt(D)``).
        dtype: element type of Q, K, V and the output: ``"f32"``, ``"f16"``
            or ``"bf16"``.
        bias: ``True`` for an additive ``[B, Hq, Nq, Nk]`` f32 bias operand,
            or a 4-tuple whose ``1`` entries broadcast (``(1, None, None,
            None)``).
        lse: also return the logsumexp (softmax only).
        weight_mod: a function ``(weight, score, b, h, q_idx, kv_idx) ->
            float`` (or a list, chained) applied to each kept key's
            normalized weight; ``score`` is the raw scaled dot product.
        k_head_map, v_head_map: integer arrays ``[Hq]`` or ``[B|1, Hq]``:
            the key / value head read by each query head.
        sink_logits: a float array ``[Hq]``: a null key's logit (softmax).
        output_gate: a float array ``[B|1, Hq|1, Nq|1]`` scaling each
            output row.
        feature_map: linear attention's kernel feature map ``phi``, a
            :class:`FeatureMap` or its name (``"elu_plus_one"``,
            ``"relu"``, ``"sigmoid"``, ``"exp"``, ``"silu"``):
            ``phi(q) . phi(k)`` replaces ``q . k`` in the scores. With
            ``normalization=identity(l1=True)`` and ``scale=1.0`` the spec
            is normalized linear attention; with ``identity()``,
            unnormalized.
        feature_weight, feature_bias: the weight ``[Hq|1, F, D]`` and bias
            ``[Hq|1, F]`` of ``feature_map="hedgehog"`` (one map per query
            head, or shared with extent 1), float arrays to bind or ``True``
            (a tuple of 1 / None entries) to pass at run time.
        decay: a float array ``[B|1, Hq|1, Nk|1]`` with values in (0, 1]:
            the weight of key ``j`` for the query at aligned position ``p``
            is multiplied by ``decay[b, h, j+1] * ... * decay[b, h, p]``
            (RetNet / Lightning: a constant per head, ``[1, Hq, 1]``;
            Mamba-2: one per token, ``[B, Hq, Nk]``). Needs the identity
            normalization (``l1`` optional) and a causal mask. A rank-4
            array ``[B|1, Hq|1, Nk|1, D]`` (or a 4-tuple of 1 / None) is a
            gate per key channel (GLA): the score of key ``j`` becomes
            ``scale * sum_c phi(q)_c phi(k_j)_c prod_{r=j+1..p} decay[b, h,
            r, c]``, with a feature map that keeps D and no score
            modification.
        name: the function name.

    The arrays given as ``k_head_map``, ``v_head_map``, ``sink_logits``,
    ``output_gate``, ``decay``, ``feature_weight`` and ``feature_bias`` are
    bound (``spec.bound``); ``True`` or a
    tuple of 1 / None entries (as for ``bias``) declares an operand passed
    at run time (``decay=(1, None, 1)``: one decay per head).

    Specs with a ``feature_map`` or a ``decay`` compile through the tile
    program (the default lowering) only (see :func:`attn_opt.compile`,
    whose ``linear_chunk`` picks the chunked O(N) form of causal ones).

    Attributes: ``text`` (the MLIR that is compiled), ``entry``,
    ``filename``, ``bound`` (arrays the spec supplies itself: captures,
    slopes, ids given to the helpers), ``info`` (the bound signature).
    """

    def __init__(self, mask=None, score_mod=None, *, normalization=None,
                 scale: Optional[float] = None, dtype="f32", bias=False,
                 lse: bool = False, weight_mod=None, k_head_map=None,
                 v_head_map=None, sink_logits=None, output_gate=None,
                 feature_map=None, decay=None, feature_weight=None,
                 feature_bias=None,
                 name: str = "attention", tracing: str = "python"):
        if not _IDENT.match(name):
            raise ValueError(f"invalid function name {name!r}")
        if tracing not in ("python", "torch"):
            raise ValueError(f"tracing must be 'python' or 'torch', got {tracing!r}")
        self._options = dict(mask=mask, score_mod=score_mod,
                             normalization=normalization, scale=scale,
                             dtype=dtype, bias=bias, lse=lse, weight_mod=weight_mod,
                             k_head_map=k_head_map, v_head_map=v_head_map,
                             sink_logits=sink_logits, output_gate=output_gate,
                             feature_map=feature_map, decay=decay,
                             feature_weight=feature_weight,
                             feature_bias=feature_bias,
                             name=name, tracing=tracing)
        self.entry = name
        self.filename = f"<attn_opt.Spec {name}>"
        self.dtype = _dtype_name(dtype)
        self.has_lse = bool(lse)
        self.bound: Dict[str, np.ndarray] = {}
        self.captures: Dict[str, Captured] = {}
        self._info = None
        self._lse_variant = None
        self.text = self._build(self._options)
        self.verify()

    # -- construction from text ------------------------------------------ #

    @classmethod
    def from_text(cls, text: str, *, filename: str = "<string>",
                  entry: Optional[str] = None, bound=None) -> "Spec":
        """A spec from MLIR text (parsed and verified now)."""
        self = cls.__new__(cls)
        self._options = None
        self.text = text
        self.filename = filename
        self.entry = entry or ""
        self.bound = dict(bound or {})
        self.captures = {}
        self._info = None
        self._lse_variant = None
        info = self.verify()
        self.entry = info["entry"]
        self.dtype = info["output_dtype"]
        self.has_lse = info["has_lse"]
        names = [a["name"] for a in info["args"]]
        unknown = [n for n in self.bound if n not in names]
        if unknown:
            raise TypeError(f"bound names argument(s) {unknown} that @{self.entry} "
                            f"does not have; its arguments are {names}")
        return self

    def verify(self) -> dict:
        """Parses, verifies and binds the spec (cached); raises SpecError."""
        if self._info is None:
            from . import _api
            self._info = _api._bind_info(self)
        return self._info

    @property
    def info(self) -> dict:
        """The bound signature: entry, args (name, role, dtype, shape), ..."""
        return self.verify()

    @property
    def arg_names(self) -> List[str]:
        return [a["name"] for a in self.info["args"]]

    def with_lse(self) -> "Spec":
        """The same spec also returning the logsumexp."""
        if self.has_lse:
            return self
        if self._options is None:
            raise ValueError(
                f"spec @{self.entry} does not return a logsumexp; write the "
                "op with a second result (-> ..., tensor<?x?x?xf32>)")
        if self._lse_variant is None:
            opts = dict(self._options)
            opts["lse"] = True
            self._lse_variant = Spec(**opts)
        return self._lse_variant

    def __repr__(self):
        return f"<attn_opt.Spec @{self.entry} ({self.dtype})>"

    def __str__(self):
        return self.text

    # -- text generation ---------------------------------------------------- #

    def _build(self, options: dict) -> str:
        mask, score_mod = options["mask"], options["score_mod"]
        normalization, scale = options["normalization"], options["scale"]
        t = f"tensor<?x?x?x?x{self.dtype}>"
        lse_t = "tensor<?x?x?xf32>"
        captures = _CaptureSet()
        captures_by_name: Dict[str, Captured] = {}

        # Mask.
        mask_attr, uses, operands, mask_fns = None, set(), {}, []
        if mask is not None:
            mask_attr, uses, operands, mask_fns = _split_mask(_as_mask(mask))
        # Score modifications.
        mods = [] if score_mod is None else (
            list(score_mod) if isinstance(score_mod, (list, tuple)) else [score_mod])
        mod_attrs, mod_fns = [], []
        for m in mods:
            if isinstance(m, ScoreMod):
                if mod_fns:
                    raise TraceError(
                        "score_mod attributes (softcap(), alibi()) must come "
                        "before score_mod functions: the dialect applies the "
                        "attributes first", construct="score_mod order")
                mod_attrs.append(m)
                operands.update(m.operands)
            elif callable(m):
                mod_fns.append(m)
            else:
                raise TypeError(f"not a score modification: {m!r}")
        if isinstance(normalization, str):
            normalization = Normalization(normalization)
        if normalization is not None and not isinstance(normalization, Normalization):
            raise TypeError(f"not a normalization: {normalization!r}")
        feature_map = _as_feature_map(options["feature_map"])

        weight_mod = options["weight_mod"]
        weight_fns = [] if weight_mod is None else (
            list(weight_mod) if isinstance(weight_mod, (list, tuple)) else [weight_mod])
        for fn in weight_fns:
            if not callable(fn):
                raise TypeError(f"not a weight_mod function: {fn!r} (a function "
                                "(weight, score, b, h, q_idx, kv_idx) -> float)")
        regions = [(kind, _trace_fn(fns, kind, captures, captures_by_name,
                                    options["tracing"]))
                   for kind, fns in (("mask_fn", mask_fns), ("score_mod", mod_fns),
                                     ("weight_mod", weight_fns)) if fns]

        # Function arguments, in the op's operand order.
        args, groups = [f"%q: {t}", f"%k: {t}", f"%v: {t}"], []

        def add_operand(keyword, type_text, names=None):
            names = names or (keyword,)
            args.extend(f"%{n}: {type_text}" for n in names)
            groups.append(f"{keyword}({', '.join('%' + n for n in names)} : "
                          f"{', '.join([type_text] * len(names))})")

        declared = {n: _spec_operand(n, options[n]) for n in _SPEC_OPERANDS}
        if declared["bias"]:
            add_operand("bias", declared["bias"][0])
        if "segment_ids" in uses:
            add_operand("segment_ids", "tensor<?x?xi32>", ("q_segment_ids", "kv_segment_ids"))
        if "block_layout" in uses:
            add_operand("block_layout", "tensor<?x?x?x?xi8>")
        if "alibi_slopes" in operands:
            add_operand("alibi_slopes", "tensor<?xf32>")
        self.bound.update(operands)
        for name in ("k_head_map", "v_head_map", "sink_logits", "output_gate", "decay"):
            if declared[name]:
                type_text, array = declared[name]
                add_operand(name, type_text)
                if array is not None:
                    if name == "decay":
                        from ._api import _check_decay
                        _check_decay(name, array)
                    self.bound[name] = array
        # The feature map's weight and bias: arguments here (the op's
        # operand order), operands of the feature_map group below.
        feature_operands = []
        for name in ("feature_weight", "feature_bias"):
            if declared[name]:
                type_text, array = declared[name]
                args.append(f"%{name}: {type_text}")
                feature_operands.append((name, type_text))
                if array is not None:
                    self.bound[name] = array
        capture_names: List[str] = []
        used_names = set(_FUNCTION_NAMES)
        for n, c in enumerate(captures.items):
            base = c.name if c.name and _IDENT.match(c.name) else f"capture{n}"
            name = base
            while name in used_names:
                name += "_"
            used_names.add(name)
            capture_names.append(name)
            args.append(f'%cap.{name}: {c.tensor_type} {{attn.name = "{name}"}}')
            self.bound[name] = c.array
            self.captures[name] = c
        if captures.items:
            groups.append("captures(" + ", ".join(f"%cap.{n}" for n in capture_names) +
                          " : " + ", ".join(c.tensor_type for c in captures.items) + ")")
        if len(feature_operands) == 1:
            raise ValueError("feature_weight and feature_bias come together: the "
                             "weight [Hq|1, F, D] and bias [Hq|1, F] of "
                             "feature_map='hedgehog'")
        if feature_operands and feature_map is None:
            raise ValueError("feature_weight and feature_bias are the operands of "
                             "feature_map='hedgehog'; there is no feature_map")
        if feature_map is not None and feature_operands:
            groups.append(f"feature_map({feature_map.text}, " +
                          ", ".join(f"%{n}" for n, _ in feature_operands) + " : " +
                          ", ".join(t for _, t in feature_operands) + ")")
        elif feature_map is not None:
            groups.append(f"feature_map({feature_map.text})")
        if mask_attr:
            groups.append(f"mask({mask_attr})")
        if mod_attrs:
            groups.append("score_mods([" + ", ".join(m.text for m in mod_attrs) + "])")
        if normalization is not None and (normalization.kind != "softmax" or
                                          normalization.bias or normalization.l1):
            groups.append(f"normalization({normalization.text})")
        if scale is not None:
            s = float(scale)
            if not _pymath.isfinite(s) or s == 0.0:
                raise ValueError(f"scale must be finite and non-zero, got {scale}")
            groups.append(f"scale({_float_literal(s)})")

        results = f"({t}, {lse_t})" if self.has_lse else t
        op_results = f"{t}, {lse_t}" if self.has_lse else t
        lines = [f"func.func @{self.entry}({', '.join(args)}) -> {results} {{"]
        head = f"  {'%o, %lse' if self.has_lse else '%o'} = attn.attention %q, %k, %v"
        lines.append(head)
        for g in groups:
            lines.append(f"      {g}")
        for label, region in regions:
            lines.append(f"      {label} {{")
            lines += _render_region(region, captures.items, capture_names, "      ")
            lines.append("      }")
        lines.append(f"      : {t}, {t}, {t} -> {op_results}")
        lines.append(f"  return {'%o, %lse' if self.has_lse else '%o'} : {op_results}")
        lines.append("}")
        return "\n".join(lines) + "\n"
