"""attn_opt.torch: the flex_attention / create_block_mask API, the torch
tracer (functions, methods, promotion, captures) and every error path."""


import pytest

torch = pytest.importorskip(
    "torch", reason="torch is not installed (scripts/setup.sh installs it)")
from torch.nn.attention import flex_attention as tflex  # noqa: E402

import attn_opt as ao  # noqa: E402
import attn_opt.torch as aot  # noqa: E402
from attn_opt import TraceError  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def qkv(b=1, hq=2, hkv=2, nq=40, nk=56, d=16, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, hq, nq, d, generator=g).to(dtype),
            torch.randn(b, hkv, nk, d, generator=g).to(dtype),
            torch.randn(b, hkv, nk, d, generator=g).to(dtype))


def torch_spec(mask_mod=None, score_mod=None):
    return ao.Spec(mask=mask_mod, score_mod=score_mod, tracing="torch")


# ------------------------------------------------------------ the API -- #

def test_drop_in_names():
    assert aot.and_masks is tflex.and_masks and aot.noop_mask is tflex.noop_mask
    assert aot.or_masks is tflex.or_masks


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_inputs_are_read_in_place(dtype):
    q = torch.randn(1, 2, 8, 4).to(dtype)
    assert aot._numpy(q).ctypes.data == q.data_ptr()
    out = aot._tensor(aot._numpy(q), dtype)
    assert out.dtype == dtype and out.data_ptr() == q.data_ptr()


def test_scale_and_no_mask_match_torch():
    q, k, v = qkv()
    for scale in (None, 0.3):
        ref = tflex.flex_attention(q, k, v, scale=scale)
        out = aot.flex_attention(q, k, v, scale=scale)
        torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_non_contiguous_inputs():
    q, k, v = qkv()
    qt = q.transpose(2, 3).contiguous().transpose(2, 3)  # same values, strided
    assert not qt.is_contiguous()
    torch.testing.assert_close(aot.flex_attention(qt, k, v), aot.flex_attention(q, k, v))


def test_return_aux_and_lse():
    q, k, v = qkv()
    bm = aot.create_block_mask(causal, None, None, 40, 56)
    out, lse = aot.flex_attention(q, k, v, block_mask=bm, return_lse=True)
    out2, aux = aot.flex_attention(q, k, v, block_mask=bm,
                                   return_aux=tflex.AuxRequest(lse=True))
    assert torch.equal(out, out2) and torch.equal(lse, aux.lse)
    assert lse.dtype == torch.float32 and lse.shape == (1, 2, 40)
    plain = aot.flex_attention(q, k, v, block_mask=bm, return_aux=aot.AuxRequest())
    assert torch.equal(plain, out)


def test_torch_block_mask_accepted():
    q, k, v = qkv()
    theirs = tflex.create_block_mask(causal, None, None, 40, 56, device="cpu")
    ours = aot.create_block_mask(causal, None, None, 40, 56)
    assert torch.equal(aot.flex_attention(q, k, v, block_mask=theirs),
                       aot.flex_attention(q, k, v, block_mask=ours))


def test_block_mask_attributes_and_map():
    bm = aot.create_block_mask(causal, 1, 2, 256, 256, BLOCK_SIZE=64)
    assert bm.shape == (1, 2, 256, 256) and bm.BLOCK_SIZE == (64, 64)
    assert bm.seq_lengths == (256, 256) and "causal" in repr(bm)
    kinds = bm.block_map(head=1).kinds
    assert kinds[0, 3] == ao.BlockMap.EMPTY and kinds[3, 0] == ao.BlockMap.FULL
    rect = aot.create_block_mask(causal, None, None, 8, 8, BLOCK_SIZE=(16, 32))
    assert rect.BLOCK_SIZE == (16, 32)


def test_fully_masked_rows_are_zero():
    q, k, v = qkv()
    bm = aot.create_block_mask(lambda b, h, q_idx, kv_idx: q_idx >= 10, None, None, 40, 56)
    out, lse = aot.flex_attention(q, k, v, block_mask=bm, return_lse=True)
    assert (out[:, :, :10] == 0).all() and torch.isinf(lse[:, :, :10]).all()


def test_specs_and_kernels_are_cached():
    q, k, v = qkv()
    mods = (lambda s, b, h, q_idx, kv_idx: s * 0.5)
    aot.flex_attention(q, k, v, score_mod=mods)
    specs, hits = len(aot._specs), ao.cache_info()["hits"]
    aot.flex_attention(q, k, v, score_mod=mods)
    assert len(aot._specs) == specs and ao.cache_info()["hits"] == hits + 1


def test_captured_tensors_are_reread_and_rebinding_retraces():
    q, k, v = qkv()
    bias = torch.zeros(2)

    def biased(score, b, h, q_idx, kv_idx):
        return score + bias[h] * kv_idx
    before = aot.flex_attention(q, k, v, score_mod=biased)
    bias[1] = 0.05                              # in place: seen by the next call
    after = aot.flex_attention(q, k, v, score_mod=biased)
    ref = tflex.flex_attention(q, k, v, score_mod=biased)
    torch.testing.assert_close(after, ref, rtol=1e-5, atol=1e-5)
    assert torch.equal(before[:, 0], after[:, 0]) and not torch.equal(before, after)
    bias = torch.zeros(2)                       # rebound: traced again
    torch.testing.assert_close(aot.flex_attention(q, k, v, score_mod=biased), before)


GLOBAL_TABLE = torch.zeros(2)


def global_bias(score, b, h, q_idx, kv_idx):
    return score + GLOBAL_TABLE[h]


def test_rebinding_a_global_tensor_retraces():
    global GLOBAL_TABLE
    q, k, v = qkv()
    before = aot.flex_attention(q, k, v, score_mod=global_bias)
    GLOBAL_TABLE = torch.tensor([1.0, -1.0])
    after = aot.flex_attention(q, k, v, score_mod=global_bias)
    torch.testing.assert_close(after, tflex.flex_attention(q, k, v, score_mod=global_bias),
                               rtol=1e-5, atol=1e-5)
    assert not torch.equal(before, after)


def test_tensor_reached_through_an_attribute_is_captured():
    class Table:
        values = torch.tensor([0.5, -0.5])
    table = Table()
    q, k, v = qkv()

    def mod(score, b, h, q_idx, kv_idx):
        return score + table.values[h]
    torch.testing.assert_close(aot.flex_attention(q, k, v, score_mod=mod),
                               tflex.flex_attention(q, k, v, score_mod=mod),
                               rtol=1e-5, atol=1e-5)


# ------------------------------------------------------ the torch tracer -- #

def test_torch_promotion():
    text = torch_spec(score_mod=lambda s, b, h, q, kv: s + (h + 1) * 8.0 / 4).text
    assert "arith.sitofp" in text and "arith.divf" in text
    # Integer `/` is true division, a bool compared with 1 an integer.
    text = torch_spec(lambda b, h, q, kv: (q / 2 > kv) == 1).text
    assert "arith.divf" in text
    text = torch_spec(score_mod=lambda s, b, h, q, kv: s * (q >= kv)).text
    assert "arith.select" in text


def test_and_masks_fold_their_constant():
    text = torch_spec(tflex.and_masks(causal, causal)).text
    assert "true" not in text and text.count("arith.cmpi") == 1


def test_16_bit_tables_are_widened():
    table = torch.tensor([0.5, -0.25], dtype=torch.bfloat16)
    q, k, v = qkv()

    def mod(score, b, h, q_idx, kv_idx):
        return score + table[h]
    torch.testing.assert_close(aot.flex_attention(q, k, v, score_mod=mod),
                               tflex.flex_attention(q, k, v, score_mod=mod),
                               rtol=1e-5, atol=1e-5)


def test_torch_dtype_views():
    seen = {}

    def mod(score, b, h, q_idx, kv_idx):
        seen.update(score=score.dtype, q=q_idx.dtype, shape=q_idx.shape,
                    ndim=q_idx.ndim, dim=q_idx.dim(), numel=q_idx.numel(),
                    fp=score.is_floating_point(), device=h.device,
                    grad=score.requires_grad, size=h.size(), type=h.type())
        return score.to(q_idx).to(dtype=torch.float16).double()
    torch_spec(score_mod=mod)
    assert seen == dict(score=torch.float32, q=torch.int32, shape=torch.Size([]),
                        ndim=0, dim=0, numel=1, fp=True, device=torch.device("cpu"),
                        grad=False, size=torch.Size([]), type="torch.IntTensor")


def test_constructors_and_conversions_run():
    def mod(score, b, h, q_idx, kv_idx):
        one = q_idx.new_ones(())
        zero = torch.zeros_like(score)
        half = torch.full_like(score, 0.5)
        big = q_idx.new_full((), 3, dtype=torch.float32) + h.new_tensor(1.0)
        keep = (q_idx.long() - kv_idx.int() + one).bool() | b.new_zeros((), dtype=torch.bool)
        x = torch.where(keep, score, zero + half).where(q_idx >= 0, big)
        x = x + torch.tensor(0.25).where(kv_idx > 3, torch.tensor(0.5))
        return x.type(torch.float32) + score.trunc() * 0 + torch.sign(score) * 0.1
    q, k, v = qkv()
    torch.testing.assert_close(aot.flex_attention(q, k, v, score_mod=mod),
                               tflex.flex_attention(q, k, v, score_mod=mod),
                               rtol=1e-5, atol=1e-5)


def test_operators_with_real_scalar_tensors():
    two = torch.tensor(2.0)

    def mod(score, b, h, q_idx, kv_idx):
        x = two * score - two + (two / (score.abs() + 1)) - torch.tensor(1) * 0.5
        y = torch.div(q_idx, 3, rounding_mode="floor") + torch.div(q_idx, 3, rounding_mode="trunc")
        z = torch.div(score, 3.0, rounding_mode="trunc") + torch.fmod(q_idx, 5)
        w = torch.logical_xor(q_idx > 3, kv_idx > 3) & torch.logical_not(b > 0)
        return x + y * 0.01 + z * 0.01 + w * 0.1 + torch.remainder(kv_idx, 4).float()
    q, k, v = qkv()
    torch.testing.assert_close(aot.flex_attention(q, k, v, score_mod=mod),
                               tflex.flex_attention(q, k, v, score_mod=mod),
                               rtol=1e-5, atol=1e-5)


def test_activation_functions():
    import torch.nn.functional as F

    def mod(score, b, h, q_idx, kv_idx):
        return (F.elu(score) + F.relu6(score) + F.hardtanh(score) + F.logsigmoid(score)
                + torch.special.expit(score) + score.exp2() * 0.01 + score.square() * 0.01
                + torch.clamp_min(score, 0.0) - torch.clamp_max(score, 0.0)
                + F.relu(q_idx - kv_idx).float() * 0.01 + torch.ceil(score)
                - torch.floor(q_idx) * 0.0)
    q, k, v = qkv()
    torch.testing.assert_close(aot.flex_attention(q, k, v, score_mod=mod),
                               tflex.flex_attention(q, k, v, score_mod=mod),
                               rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------- error paths -- #

def trace_error(score_mod=None, mask_mod=None):
    with pytest.raises(TraceError) as info:
        torch_spec(mask_mod, score_mod)
    return info.value


@pytest.mark.parametrize("mod, construct, hint", [
    (lambda s, b, h, q, kv: s + q.item(), ".item", "torch.where"),
    (lambda s, b, h, q, kv: s.softmax(0), ".softmax", "Supported torch functions"),
    (lambda s, b, h, q, kv: torch.atan(s), "torch.atan", "tanh"),
    (lambda s, b, h, q, kv: s + torch.ones(3), "torch tensor", "table[h, q_idx]"),
    (lambda s, b, h, q, kv: torch.ones(3) + s, "torch tensor", "table[h, q_idx]"),
    (lambda s, b, h, q, kv: s.to(torch.complex64), "torch.complex64", "float32"),
    (lambda s, b, h, q, kv: s.to(dtype="float"), ".to", "torch.dtype"),
    (lambda s, b, h, q, kv: torch.fmod(s, 2.0), "torch.fmod", "torch.remainder"),
    (lambda s, b, h, q, kv: torch.div(s, 2, rounding_mode="up"), "div", "'floor'"),
    (lambda s, b, h, q, kv: torch.nn.functional.gelu(s, approximate="x"), "gelu", "'tanh'"),
    (lambda s, b, h, q, kv: torch.clamp(s), "clamp", "min or max"),
    (lambda s, b, h, q, kv: s + q.new_ones((2,)), "new tensor", "shape ()"),
    (lambda s, b, h, q, kv: s + q.size(0), ".size", "0-d"),
    (lambda s, b, h, q, kv: s + q[0], "indexing", "captured tensors"),
    (lambda s, b, h, q, kv: s if q > kv else -s, "bool()", "torch.where"),
    (lambda s, b, h, q, kv: s + torch.tensor([1.0, 2.0])[s], "indexing", "integer"),
])
def test_untraceable_constructs_name_the_alternative(mod, construct, hint):
    err = trace_error(score_mod=mod)
    assert err.construct == construct, err
    assert hint in str(err), err


def test_real_tensor_indexing_a_scalar_tensor():
    err = trace_error(score_mod=lambda s, b, h, q, kv: s + torch.tensor(1.0)[q])
    assert err.construct == "indexing"


def test_mask_errors_at_create_block_mask():
    with pytest.raises(TraceError) as info:
        aot.create_block_mask(lambda b, h, q, kv: q.tolist(), None, None, 8, 8)
    assert info.value.construct == ".item"


def test_tracing_option_is_checked():
    with pytest.raises(ValueError, match="tracing"):
        ao.Spec(tracing="jax")


def test_requires_grad_is_an_error():
    q, k, v = qkv()
    q.requires_grad_(True)
    with pytest.raises(NotImplementedError, match="no backward"):
        aot.flex_attention(q, k, v)
    with torch.no_grad():
        aot.flex_attention(q, k, v)
    table = torch.zeros(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="no backward"):
        aot.flex_attention(*qkv(), score_mod=lambda s, b, h, qi, kv: s + table[h])


@pytest.mark.parametrize("change, error, match", [
    (lambda q, k, v: (q, k[:, :1], v[:, :1]), ValueError, "enable_gqa=True"),
    (lambda q, k, v: (q, k, v[:, :1]), ValueError, "head counts differ"),
    (lambda q, k, v: (q, k.double(), v), ValueError, "same dtype"),
    (lambda q, k, v: (q.double(), k.double(), v.double()), TypeError, "unsupported dtype"),
    (lambda q, k, v: (q[0], k, v), ValueError, "4-D"),
    (lambda q, k, v: (q.numpy(), k, v), TypeError, "torch.Tensor"),
    (lambda q, k, v: (q.to("meta"), k, v), ValueError, "runs on the CPU"),
])
def test_bad_inputs(change, error, match):
    with pytest.raises(error, match=match):
        aot.flex_attention(*change(*qkv()))


def test_gqa_head_multiple():
    q, k, v = qkv(hq=3)
    with pytest.raises(ValueError, match="multiple"):
        aot.flex_attention(q, k[:, :2], v[:, :2], enable_gqa=True)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(kernel_options={"BLOCK_M": 64}), ValueError, "kernel_options"),
    (dict(return_lse=True, return_aux=tflex.AuxRequest(lse=True)), ValueError, "either"),
    (dict(return_aux=tflex.AuxRequest(max_scores=True)), NotImplementedError, "max_scores"),
    (dict(block_mask=object()), TypeError, "create_block_mask"),
    (dict(block_mask=aot.create_block_mask(causal, None, None, 40, 40)), ValueError,
     "lengths"),
    (dict(block_mask=aot.create_block_mask(causal, 3, None, 40, 56)), ValueError,
     "broadcast"),
])
def test_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        aot.flex_attention(*qkv(), **kwargs)


@pytest.mark.parametrize("args, kwargs, match", [
    ((None, None, 0, 8), {}, "Q_LEN"),
    ((None, None, 8, 8.0), {}, "KV_LEN"),
    ((0, None, 8, 8), {}, "B must"),
    ((None, True, 8, 8), {}, "H must"),
    ((None, None, 8, 8), dict(BLOCK_SIZE=(16, 0)), "BLOCK_SIZE"),
    ((None, None, 8, 8), dict(device="meta"), "runs on the CPU"),
])
def test_bad_block_masks(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        aot.create_block_mask(causal, *args, **kwargs)


def test_doc_example_runs(capsys):
    from test_docs import doc_example
    code = doc_example("## From FlexAttention")
    assert len(code.strip().splitlines()) <= 20
    namespace = {"__name__": "__doc_example__"}
    exec(compile(code, "docs/python.md", "exec"), namespace)
    assert "torch.bfloat16 torch.Size([1, 8, 1000, 64]) torch.Size([1, 8, 1000])" \
        in capsys.readouterr().out
    q, k, v, mask, mod = (namespace[n] for n in ("q", "k", "v", "mask", "alibi_softcap"))
    ref = tflex.flex_attention(q.float(), k.float(), v.float(), score_mod=mod,
                               block_mask=tflex.create_block_mask(
                                   mask.mask_mod, None, None, 1000, 1200, device="cpu"),
                               enable_gqa=True)
    err = (namespace["out"].float() - ref).norm() / ref.norm()
    assert err < 1e-2
