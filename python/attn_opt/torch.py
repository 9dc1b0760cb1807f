"""``attn_opt.torch``: a CPU drop-in for ``torch.nn.attention.flex_attention``.

::

    from attn_opt.torch import flex_attention, create_block_mask

    def causal(b, h, q_idx, kv_idx):
        return q_idx >= kv_idx

    block_mask = create_block_mask(causal, None, None, 1000, 1000)
    out = flex_attention(q, k, v, score_mod=None, block_mask=block_mask)

Same names, argument order and semantics as torch's: ``q_idx`` and
``kv_idx`` are raw (top-left aligned) positions, GQA needs
``enable_gqa=True``, the default scale is ``1/sqrt(D)``, fully masked rows
give 0 (and a logsumexp of ``-inf``). ``mask_mod`` and ``score_mod`` are
traced into the spec's ``mask_fn`` / ``score_mod`` regions with torch
semantics (``tracing="torch"``): the block classification of the mask is
proved when the kernel is compiled, no ``[Q_LEN, KV_LEN]`` mask is ever
built. Tensors the mods read are captured as operands and re-read on every
call. Specs are cached per (mods, dtype, scale, lse) and kernels per shape.

Backward is not implemented: a call that would need gradients raises.
"""

from __future__ import annotations

import collections
from typing import NamedTuple, Optional

import numpy as np
import torch
from torch.nn.attention.flex_attention import and_masks, noop_mask, or_masks

from . import _api
from .frontend import Spec, _code_names

__all__ = ["flex_attention", "create_block_mask", "BlockMask", "and_masks",
           "or_masks", "noop_mask", "AuxRequest", "AuxOutput"]

_DTYPES = {torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16"}
_SPEC_CACHE_SIZE = 256


class AuxRequest(NamedTuple):
    """torch's ``AuxRequest``: which auxiliary outputs to return."""
    lse: bool = False
    max_scores: bool = False


class AuxOutput(NamedTuple):
    """torch's ``AuxOutput``: the requested auxiliary outputs."""
    lse: Optional[torch.Tensor] = None
    max_scores: Optional[torch.Tensor] = None


# ===----------------------------------------------------------------------=== #
# Block masks
# ===----------------------------------------------------------------------=== #


def _check_cpu(device, what: str):
    if device is not None and torch.device(device).type != "cpu":
        raise ValueError(f"attn_opt.torch runs on the CPU; {what} is on {device} "
                         "(use device='cpu' or leave it out)")


class BlockMask:
    """A traced ``mask_mod`` for given lengths (torch's ``BlockMask`` API
    subset: ``mask_mod``, ``seq_lengths``, ``shape``, ``BLOCK_SIZE``).

    Unlike torch's, it holds no block tables: the mask is compiled into the
    kernel, whose block classification is proved at compile time from the
    traced region. ``block_map()`` shows that classification.
    """

    def __init__(self, mask_mod, B, H, Q_LEN, KV_LEN, BLOCK_SIZE):
        self.mask_mod = mask_mod
        self.B, self.H = B, H
        self.seq_lengths = (Q_LEN, KV_LEN)
        self.BLOCK_SIZE = BLOCK_SIZE
        self.spec = _spec(None, mask_mod, "f32", None, False)  # traces now

    @property
    def shape(self):
        return (self.B or 1, self.H or 1) + self.seq_lengths

    def block_map(self, head: int = 0):
        """The (query block, key block) classification of ``head`` at
        ``BLOCK_SIZE`` tiles: an :class:`attn_opt.BlockMap`."""
        return _api.block_map(self.spec, self.seq_lengths[0], self.seq_lengths[1],
                              num_heads=max(self.H or 1, head + 1), head=head,
                              tile_q=self.BLOCK_SIZE[0], tile_kv=self.BLOCK_SIZE[1])

    def __repr__(self):
        return (f"BlockMask(shape={self.shape}, mask_mod="
                f"{getattr(self.mask_mod, '__name__', self.mask_mod)})")


def _positive(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


def create_block_mask(mask_mod, B, H, Q_LEN, KV_LEN, device=None, BLOCK_SIZE=128,
                      _compile=False, **unused):
    """torch's ``create_block_mask``: traces ``mask_mod`` (raising
    ``TraceError`` for what it cannot express) instead of evaluating it on
    every block. ``B`` / ``H`` of ``None`` broadcast; ``_compile`` and
    torch's layout options (``separate_full_blocks``...) change nothing
    here."""
    _check_cpu(device, "the block mask")
    for value, what in ((B, "B"), (H, "H")):
        if value is not None:
            _positive(value, what)
    _positive(Q_LEN, "Q_LEN")
    _positive(KV_LEN, "KV_LEN")
    sizes = BLOCK_SIZE if isinstance(BLOCK_SIZE, tuple) else (BLOCK_SIZE, BLOCK_SIZE)
    for s in sizes:
        _positive(s, "BLOCK_SIZE")
    return BlockMask(mask_mod, B, H, Q_LEN, KV_LEN, sizes)


# ===----------------------------------------------------------------------=== #
# Specs, cached per (mods, dtype, scale, lse)
# ===----------------------------------------------------------------------=== #

_specs: "collections.OrderedDict[tuple, Spec]" = collections.OrderedDict()


def _function_key(fn):
    """`fn` and the objects its closure cells and global tensors hold: a
    variable rebound to another tensor must not reuse a spec traced from the
    old one (its shape is part of the spec)."""
    if fn is None:
        return None
    held = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            held.append(id(cell.cell_contents))
        except ValueError:  # an empty cell
            held.append(None)
    code, globals_ = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    for name in sorted(_code_names(code)) if code else ():
        if isinstance(globals_.get(name), torch.Tensor):
            held.append(id(globals_[name]))
    return fn, tuple(held)


def _spec(score_mod, mask_mod, dtype: str, scale, lse: bool) -> Spec:
    key = (_function_key(score_mod), _function_key(mask_mod), dtype, scale, lse)
    spec = _specs.get(key)
    if spec is None:
        # noop_mask would trace into a region that yields true: no mask at all.
        mask = None if mask_mod is None or mask_mod is noop_mask else mask_mod
        spec = Spec(mask=mask, score_mod=score_mod, scale=scale, dtype=dtype,
                    lse=lse, tracing="torch")
        _specs[key] = spec
        if len(_specs) > _SPEC_CACHE_SIZE:
            _specs.popitem(last=False)
    else:
        _specs.move_to_end(key)
    return spec


def _run_captures(spec: Spec) -> dict:
    """Current values of the captured torch tensors: read at every call, as
    torch's mods read their closures (in-place updates are seen)."""
    operands = {}
    for name, c in spec.captures.items():
        if isinstance(c.source, torch.Tensor):
            values = c.source.detach()
            if values.is_floating_point():
                values = values.float()
            operands[name] = values.numpy()
    return operands


# ===----------------------------------------------------------------------=== #
# flex_attention
# ===----------------------------------------------------------------------=== #


def _numpy(t: torch.Tensor) -> np.ndarray:
    """A NumPy view of a CPU tensor (bf16 as its uint16 bits): no copy."""
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(np.uint16)
    return t.numpy()


def _tensor(a: np.ndarray, dtype) -> torch.Tensor:
    """The kernel's output array as a tensor: no copy."""
    if dtype == torch.bfloat16:
        return torch.from_numpy(a.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(a)


def _check_grad(tensors):
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        raise NotImplementedError(
            "attn_opt.torch.flex_attention has no backward yet, and an input "
            "requires grad; call it under torch.no_grad() (or on detached "
            "tensors) for inference, or use torch's flex_attention for training")


def _check_inputs(query, key, value, enable_gqa: bool):
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        _check_cpu(t.device, name)
        if t.dim() != 4:
            raise ValueError(f"{name} must be 4-D [B, H, N, D], got shape "
                             f"{tuple(t.shape)}")
    if not (query.dtype == key.dtype == value.dtype):
        raise ValueError(f"query, key and value must have the same dtype, got "
                         f"{query.dtype}, {key.dtype}, {value.dtype}")
    if query.dtype not in _DTYPES:
        raise TypeError(f"unsupported dtype {query.dtype}: float32, float16 or "
                        "bfloat16")
    hq, hkv = query.size(1), key.size(1)
    if value.size(1) != hkv:
        raise ValueError(f"key and value head counts differ: {hkv} and {value.size(1)}")
    if hq != hkv and not enable_gqa:
        raise ValueError(f"query has {hq} heads and key/value {hkv}: pass "
                         "enable_gqa=True for grouped-query attention")
    if hq % hkv != 0:
        raise ValueError(f"query heads ({hq}) must be a multiple of key/value "
                         f"heads ({hkv})")


def _mask_mod_of(block_mask, query, key):
    """The mask_mod of `block_mask` (ours or torch's), checked against the
    inputs as torch checks it."""
    if block_mask is None:
        return None
    if not hasattr(block_mask, "mask_mod") or not hasattr(block_mask, "seq_lengths"):
        raise TypeError(f"block_mask must come from create_block_mask, got "
                        f"{type(block_mask).__name__}")
    nq, nk = query.size(2), key.size(2)
    if tuple(block_mask.seq_lengths) != (nq, nk):
        raise ValueError(f"block_mask was created for lengths {tuple(block_mask.seq_lengths)}"
                         f" but query/key have ({nq}, {nk}); create it with "
                         "Q_LEN and KV_LEN of the inputs")
    b, h = block_mask.shape[:2]
    if b not in (1, query.size(0)) or h not in (1, query.size(1)):
        raise ValueError(f"block_mask has batch/head extents ({b}, {h}) that do not "
                         f"broadcast to the query's ({query.size(0)}, {query.size(1)})")
    return block_mask.mask_mod


def _lse_request(return_lse: bool, return_aux) -> bool:
    if return_aux is None:
        return return_lse
    if return_lse:
        raise ValueError("pass either return_lse or return_aux, not both")
    if return_aux.max_scores:
        raise NotImplementedError("return_aux max_scores is not supported; "
                                  "request lse only")
    return bool(return_aux.lse)


def flex_attention(query, key, value, score_mod=None, block_mask=None, scale=None,
                   enable_gqa=False, return_lse=False, kernel_options=None, *,
                   return_aux=None):
    """torch's ``flex_attention`` (forward) on CPU tensors: returns the output
    ``[B, Hq, Nq, Dv]`` in the query's dtype, ``(output, lse)`` with
    ``return_lse=True`` (lse float32 ``[B, Hq, Nq]``, natural log), or
    ``(output, AuxOutput(lse=...))`` with ``return_aux=AuxRequest(lse=True)``.
    Contiguous inputs are read in place and the output is not copied."""
    _check_inputs(query, key, value, enable_gqa)
    if kernel_options:
        raise ValueError("kernel_options tune torch's Triton kernels; attn_opt.torch "
                         "takes none (use attn_opt.compile for tiles and threads)")
    mask_mod = _mask_mod_of(block_mask, query, key)
    want_lse = _lse_request(return_lse, return_aux)
    spec = _spec(score_mod, mask_mod, _DTYPES[query.dtype],
                 None if scale is None else float(scale), want_lse)
    captures = [c.source for c in spec.captures.values()
                if isinstance(c.source, torch.Tensor)]
    _check_grad([query, key, value] + captures)
    q, k, v = (_numpy(t.detach()) for t in (query, key, value))
    result = _api.run(spec, q, k, v, return_lse=want_lse, **_run_captures(spec))
    if not want_lse:
        return _tensor(result, query.dtype)
    out, lse = _tensor(result[0], query.dtype), torch.from_numpy(result[1])
    return (out, AuxOutput(lse=lse)) if return_aux is not None else (out, lse)
