"""Traced values that behave like torch's 0-d tensors (``tracing="torch"``).

FlexAttention calls a ``mask_mod`` / ``score_mod`` with 0-d tensors: int32
``b``, ``h``, ``q_idx``, ``kv_idx`` and a float32 ``score``. Code written for
it uses torch functions (``torch.where``, ``F.gelu``), tensor methods
(``.abs()``, ``.to(torch.float32)``, ``b.new_ones(...)``) and torch's type
promotion (``(h + 1) * 8.0 / H`` is a float). :class:`TorchTracer` is a
:class:`~attn_opt.frontend.Tracer` that also answers those:
``__torch_function__`` receives every torch function called with a traced
argument (and Tensor operators whose other operand is a real tensor), the
tensor methods are defined on the class, and the trace applies torch's
promotion (``_Trace.promote``). Each construct maps onto the ops the Python
tracer already records; anything else is a ``TraceError`` naming the
construct and what to use instead.
"""

from __future__ import annotations

import math as _pymath
import operator
from typing import Callable, Dict

import torch

from . import frontend as _fe
from .errors import TraceError
from .frontend import BOOL, F32, INDEX, Tracer, math

# FlexAttention's index arguments are int32 tensors; scores are float32.
_TORCH_DTYPE = {INDEX: torch.int32, BOOL: torch.bool, F32: torch.float32}


def _kind(dtype) -> str:
    """The trace type of a torch dtype (values are computed in f32 / index)."""
    if not isinstance(dtype, torch.dtype):
        raise TraceError(f"expected a torch.dtype, got {dtype!r}", construct=".to")
    if dtype == torch.bool:
        return BOOL
    if dtype.is_complex:
        raise TraceError(f"complex dtype {dtype} in a traced function; use float32",
                         construct=str(dtype))
    return F32 if dtype.is_floating_point else INDEX


def _value(x):
    """A handler argument: tracers stay, 0-d tensors become Python scalars,
    other tensors are an error (they must be indexed to be read)."""
    x = _fe._python_scalar(x)
    if _fe._is_torch_tensor(x):
        raise TraceError(
            f"a torch tensor of shape {tuple(x.shape)} was combined with a traced "
            "value; read it element-wise by indexing it with traced values "
            "(table[h, q_idx]), which captures it as an operand",
            construct="torch tensor")
    return x


def _convert(x, kind: str):
    """`x` as `kind` the way Tensor.to converts (float -> int truncates,
    nonzero -> True)."""
    if not isinstance(x, Tracer):
        return {BOOL: bool, INDEX: int, F32: float}[kind](x)
    if x._type == kind:
        return x
    if kind == F32:
        return math.to_float(x)
    if kind == INDEX:
        return math.to_int(x)
    return x != 0


def _as_float(x):
    """torch's float functions accept integer tensors (and return floats)."""
    return _convert(x, F32) if isinstance(x, Tracer) or not isinstance(x, float) else x


def _truth(x):
    """Logical functions read any value as `!= 0`."""
    return _convert(x, BOOL)


# -- elementwise functions -------------------------------------------------- #


def _float_fn(fn: Callable) -> Callable:
    return lambda x: fn(_as_float(x))


def _rounding(fn: Callable) -> Callable:
    # floor/ceil/trunc of an integer tensor return it unchanged.
    return lambda x: x if isinstance(x, Tracer) and x._type == INDEX else fn(_as_float(x))


def _trunc(x):
    return math.to_float(math.to_int(x))


def _clamp(x, min=None, max=None):
    if min is None and max is None:
        raise TraceError("clamp() needs min or max", construct="clamp")
    if min is not None:
        x = math.maximum(x, min)
    return x if max is None else math.minimum(x, max)


def _div(a, b, rounding_mode=None):
    if rounding_mode is None:
        return a / b
    if rounding_mode == "floor":
        return a // b
    if rounding_mode == "trunc":
        if (isinstance(a, Tracer) and a._type == F32) or isinstance(a, float) or \
                (isinstance(b, Tracer) and b._type == F32) or isinstance(b, float):
            return _trunc(_as_float(a) / _as_float(b))
        return math.truncdiv(a, b)
    raise TraceError(f"div rounding_mode={rounding_mode!r}; use None, 'floor' or "
                     "'trunc'", construct="div")


def _fmod(a, b):
    if all(not isinstance(x, float) and not (isinstance(x, Tracer) and x._type == F32)
           for x in (a, b)):
        return math.rem(a, b)
    raise TraceError("torch.fmod on float values; use torch.remainder (Python's "
                     "`%`) or write a - b * torch.trunc(a / b)", construct="torch.fmod")


def _where(cond, x, y):
    return math.where(_truth(cond), x, y)


def _sign(x):
    zero = 0.0 if isinstance(x, Tracer) and x._type == F32 else 0
    return math.where(x > zero, zero + 1, math.where(x < zero, zero - 1, zero))


def _gelu(x, approximate="none"):
    x = _as_float(x)
    if approximate == "tanh":
        inner = _pymath.sqrt(2.0 / _pymath.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + math.tanh(inner))
    if approximate != "none":
        raise TraceError(f"gelu approximate={approximate!r}; use 'none' or 'tanh'",
                         construct="gelu")
    return 0.5 * x * (1.0 + math.erf(x * (1.0 / _pymath.sqrt(2.0))))


def _softplus(x, beta=1.0, threshold=20.0):
    x = _as_float(x)
    bx = x * beta
    return math.where(bx > threshold, x, math.log1p(math.exp(bx)) / beta)


def _elu(x, alpha=1.0, inplace=False):
    x = _as_float(x)
    return math.where(x > 0.0, x, alpha * math.expm1(x))


def _leaky_relu(x, negative_slope=0.01, inplace=False):
    x = _as_float(x)
    return math.where(x > 0.0, x, x * negative_slope)


def _relu(x, inplace=False):
    return math.maximum(x, 0.0 if isinstance(x, Tracer) and x._type == F32 else 0)


def _binary(op: Callable, swap: bool = False) -> Callable:
    """A Tensor operator reached through __torch_function__ (a real 0-d tensor
    on its left): the Python operator on the converted operands."""
    return (lambda a, b: op(b, a)) if swap else (lambda a, b: op(a, b))


def _scaled(op: Callable) -> Callable:
    def fn(a, b, alpha=1):
        return op(a, b if alpha == 1 else b * alpha)
    return fn


_HANDLERS: Dict[str, Callable] = {
    "abs": math.abs, "absolute": math.abs, "__abs__": math.abs,
    "neg": operator.neg, "negative": operator.neg, "__neg__": operator.neg,
    "square": lambda x: x * x, "pow": _fe._power, "__pow__": _fe._power,
    "__rpow__": _binary(_fe._power, swap=True), "float_power": _fe._power,
    "floor": _rounding(math.floor), "ceil": _rounding(math.ceil),
    "trunc": _rounding(_trunc), "fix": _rounding(_trunc),
    "sign": _sign,
    "where": _where,
    "minimum": math.minimum, "maximum": math.maximum,
    "fmin": math.minimum, "fmax": math.maximum,
    "clamp": _clamp, "clip": _clamp,
    "clamp_min": lambda x, min: _clamp(x, min=min),
    "clamp_max": lambda x, max: _clamp(x, max=max),
    "add": _scaled(operator.add), "sub": _scaled(operator.sub),
    "subtract": _scaled(operator.sub),
    "mul": operator.mul, "multiply": operator.mul,
    "div": _div, "divide": _div, "true_divide": operator.truediv,
    "floor_divide": operator.floordiv, "remainder": operator.mod, "fmod": _fmod,
    "eq": operator.eq, "ne": operator.ne, "not_equal": operator.ne,
    "lt": operator.lt, "less": operator.lt, "le": operator.le,
    "less_equal": operator.le, "gt": operator.gt, "greater": operator.gt,
    "ge": operator.ge, "greater_equal": operator.ge,
    "logical_and": lambda a, b: _truth(a) & _truth(b),
    "logical_or": lambda a, b: _truth(a) | _truth(b),
    "logical_xor": lambda a, b: _truth(a) ^ _truth(b),
    "logical_not": lambda a: ~_truth(a),
    "bitwise_and": operator.and_, "bitwise_or": operator.or_,
    "bitwise_xor": operator.xor, "bitwise_not": operator.invert,
    "__invert__": operator.invert,
    "relu": _relu, "relu6": lambda x, inplace=False: _clamp(x, 0.0, 6.0),
    "gelu": _gelu, "silu": lambda x, inplace=False: _as_float(x) * math.sigmoid(_as_float(x)),
    "softplus": _softplus, "elu": _elu, "leaky_relu": _leaky_relu,
    "hardtanh": lambda x, min_val=-1.0, max_val=1.0, inplace=False: _clamp(x, min_val, max_val),
    "sigmoid": _float_fn(math.sigmoid), "expit": _float_fn(math.sigmoid),
    "logsigmoid": lambda x: -_softplus(-_as_float(x)),
    "log_sigmoid": lambda x: -_softplus(-_as_float(x)),
}
for _name in ("tanh", "exp", "exp2", "expm1", "log", "log2", "log1p", "sqrt",
              "rsqrt", "sin", "cos", "erf"):
    _HANDLERS[_name] = _float_fn(getattr(math, _name))
for _dunder, _op in (("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                     ("truediv", operator.truediv), ("div", operator.truediv),
                     ("floordiv", operator.floordiv), ("mod", operator.mod),
                     ("and", operator.and_), ("or", operator.or_),
                     ("xor", operator.xor)):
    _HANDLERS[f"__{_dunder}__"] = _binary(_op)
    _HANDLERS[f"__r{_dunder}__"] = _binary(_op, swap=True)
for _dunder, _op in (("lt", operator.lt), ("le", operator.le), ("gt", operator.gt),
                     ("ge", operator.ge), ("eq", operator.eq), ("ne", operator.ne)):
    _HANDLERS[f"__{_dunder}__"] = _binary(_op)

# Functions whose arguments must reach the handler unconverted.
_CONSTRUCTORS = ("zeros_like", "ones_like", "full_like")


def _supported() -> str:
    names = sorted(n for n in _HANDLERS if not n.startswith("__"))
    return ", ".join(names)


def _unsupported(name: str, what: str):
    raise TraceError(
        f"{what} {name} is not supported on traced values. Supported torch "
        f"functions and tensor methods: {_supported()}; dtype conversions "
        "(.to(dtype), .float(), .int(), .long(), .bool()); new_ones/new_zeros/"
        "new_full; indexing captured tensors with traced indices",
        construct=f"torch.{name}" if what == "torch function" else f".{name}")


def _getitem(table, index):
    """A real tensor indexed with traced values: captured as an operand
    (tensors reached through attributes or containers, not only closures)."""
    if not _fe._is_torch_tensor(table) or table.ndim == 0:
        raise TraceError("indexing a traced value (it is a scalar); index "
                         "captured tensors with it instead", construct="indexing")
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(_fe._python_scalar(i) for i in items)
    return _fe.Captured(table)[items]


def _like(name, x, *args, dtype=None, **kwargs):
    # torch's argument parser has checked that full_like has a fill value.
    value = {"zeros_like": 0, "ones_like": 1}.get(name)
    if value is None:
        value = _value(args[0])
    return _constant(x, value, dtype)


def _constant(like: Tracer, value, dtype):
    kind = _kind(dtype) if dtype is not None else like._type
    value = _convert(value, kind)
    if isinstance(value, Tracer):
        return value
    return like._trace.const(value, kind)


def _new_constant(self, size, value, dtype):
    shape = tuple(size) if isinstance(size, (tuple, list, torch.Size)) else (size,)
    if any(d != 1 for d in shape):
        raise TraceError(
            f"a new tensor of shape {shape} inside a traced function; mods work on "
            "scalars: use shape ()", construct="new tensor")
    return _constant(self, value, dtype)


class TorchTracer(Tracer):
    """A traced value that behaves like a 0-d torch tensor of FlexAttention:
    int32 indices, a bool mask, a float32 score."""

    __slots__ = ()

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", repr(func))
        name = name[len("special_"):] if name.startswith("special_") else name  # torch.special
        if name == "__getitem__":
            return _getitem(*args)
        if name in _CONSTRUCTORS:
            return _like(name, *args, **kwargs)
        if func is torch.Tensor.where:  # self.where(condition, other)
            self, cond, other = (list(args) + [kwargs.get("other")])[:3]
            return _where(_value(cond), _value(self), _value(other))
        handler = _HANDLERS.get(name)
        if handler is None:
            _unsupported(name, "torch function")
        return handler(*[_value(a) for a in args],
                       **{k: _value(v) for k, v in kwargs.items()})

    # -- what code reads about a tensor --------------------------------- #

    @property
    def dtype(self):
        return _TORCH_DTYPE[self._type]

    @property
    def shape(self):
        return torch.Size([])

    ndim = property(lambda self: 0)
    device = property(lambda self: torch.device("cpu"))
    requires_grad = property(lambda self: False)

    def size(self, dim=None):
        if dim is not None:
            raise TraceError("size(dim) of a 0-d traced value", construct=".size")
        return torch.Size([])

    def dim(self):
        return 0

    def numel(self):
        return 1

    def is_floating_point(self):
        return self._type == F32

    def item(self):
        raise TraceError(
            ".item() needs a concrete value, which a traced value does not have; "
            "keep computing with tensors (torch.where instead of `if`)",
            construct=".item")

    tolist = item

    # -- conversions ----------------------------------------------------- #

    def to(self, *args, **kwargs):
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, torch.dtype):
                dtype = a
            elif isinstance(a, TorchTracer) or _fe._is_torch_tensor(a):
                dtype = a.dtype
        return self if dtype is None else _convert(self, _kind(dtype))

    def type(self, dtype=None):
        if dtype is None:
            return {INDEX: "torch.IntTensor", BOOL: "torch.BoolTensor",
                    F32: "torch.FloatTensor"}[self._type]
        return self.to(dtype)

    float = double = half = bfloat16 = lambda self: _convert(self, F32)
    int = long = short = lambda self: _convert(self, INDEX)
    bool = lambda self: _convert(self, BOOL)
    contiguous = clone = detach = cpu = lambda self, *a, **k: self

    def new_ones(self, size=(), *, dtype=None, **kwargs):
        return _new_constant(self, size, 1, dtype)

    def new_zeros(self, size=(), *, dtype=None, **kwargs):
        return _new_constant(self, size, 0, dtype)

    def new_full(self, size, fill_value, *, dtype=None, **kwargs):
        return _new_constant(self, size, _value(fill_value), dtype)

    def new_tensor(self, data, *, dtype=None, **kwargs):
        return _new_constant(self, (), _value(data), dtype)

    def where(self, condition, other):
        return _where(_value(condition), self, _value(other))

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        _unsupported(name, "tensor method")


# Tensor methods that are the torch function of the same name.
_METHOD_FUNCTIONS = [n for n in _HANDLERS if not n.startswith("__") and n not in (
    "where", "expit", "relu6", "gelu", "silu", "softplus", "elu", "leaky_relu",
    "hardtanh", "logsigmoid", "log_sigmoid")]


def _method(name: str) -> Callable:
    handler = _HANDLERS[name]

    def method(self, *args, **kwargs):
        return handler(self, *[_value(a) for a in args],
                       **{k: _value(v) for k, v in kwargs.items()})
    method.__name__ = name
    return method


for _name in _METHOD_FUNCTIONS:
    setattr(TorchTracer, _name, _method(_name))
