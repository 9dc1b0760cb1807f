"""A corpus of FlexAttention mods written the way users write them, each run
through attn_opt.torch and compared with torch's own flex_attention (eager,
on the CPU) at shapes with Nq != Nk, GQA, and lengths that are not
multiples of 128. Output and logsumexp are compared."""

import functools
import math

import pytest

torch = pytest.importorskip(
    "torch", reason="torch is not installed (scripts/setup.sh installs it)")
import torch.nn.functional as F  # noqa: E402
from torch.nn.attention import flex_attention as tflex  # noqa: E402

import attn_opt.torch as aot  # noqa: E402

# Eager flex_attention warns that it is unfused: it is the reference here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

B, HQ, HKV, D = 2, 4, 2, 16
SHAPES = {"nq<nk": (100, 150), "nq>nk": (150, 100), "square": (130, 130)}
MAXN = 150
GEN = torch.Generator().manual_seed(0)


def _rand(*shape):
    return torch.randn(*shape, generator=GEN)


# ---------------------------------------------------------------- masks -- #

def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


WINDOW = 24


def sliding_window(b, h, q_idx, kv_idx):
    return q_idx - kv_idx <= WINDOW


def symmetric_window(b, h, q_idx, kv_idx):
    return (q_idx - kv_idx).abs() <= WINDOW


def dilated_window(b, h, q_idx, kv_idx):
    diff = q_idx - kv_idx
    return (diff >= 0) & (diff <= 4 * WINDOW) & (diff % 3 == 0)


def sink_and_window(b, h, q_idx, kv_idx):
    return (kv_idx < 4) | ((q_idx >= kv_idx) & (q_idx - kv_idx < WINDOW))


PREFIX = 37


def prefix_lm(b, h, q_idx, kv_idx):
    return kv_idx <= PREFIX


def _doc_ids(lengths):
    """Document id of every position, from document lengths (torch ops)."""
    offsets = torch.cumsum(torch.tensor([0] + lengths), 0)
    counts = offsets[1:] - offsets[:-1]
    return torch.repeat_interleave(torch.arange(len(lengths)), counts)


DOCUMENT_ID = _doc_ids([20, 45, 33, 52])  # 150 positions


def document_causal(b, h, q_idx, kv_idx):
    same_doc = DOCUMENT_ID[q_idx] == DOCUMENT_ID[kv_idx]
    return same_doc & (q_idx >= kv_idx)


def generate_doc_mask_mod(mask_mod, offsets):
    """attention-gym's document mask: `mask_mod` applied within each
    document, on positions relative to the document's start."""
    counts = offsets[1:] - offsets[:-1]
    document_id = torch.repeat_interleave(torch.arange(len(counts)), counts)

    def doc_mask_mod(b, h, q_idx, kv_idx):
        same_doc = document_id[q_idx] == document_id[kv_idx]
        q_logical = q_idx - offsets[document_id[q_idx]]
        kv_logical = kv_idx - offsets[document_id[kv_idx]]
        return same_doc & mask_mod(b, h, q_logical, kv_logical)
    return doc_mask_mod


def _relative_window(b, h, q_idx, kv_idx):
    return (q_idx >= kv_idx) & (q_idx - kv_idx < 16)


GRID_W = 10                     # a 10 x 15 image, row-major
KERNEL = 2


def neighborhood_2d(b, h, q_idx, kv_idx):
    q_x, q_y = q_idx % GRID_W, q_idx // GRID_W
    kv_x, kv_y = kv_idx % GRID_W, kv_idx // GRID_W
    return ((q_x - kv_x).abs() <= KERNEL) & ((q_y - kv_y).abs() <= KERNEL)


TILE = 5                        # tokens ordered tile by tile (5 x 5 tiles)


def _tiled_xy(idx):
    tile, inner = idx // (TILE * TILE), idx % (TILE * TILE)
    tiles_per_row = GRID_W // TILE
    x = (tile % tiles_per_row) * TILE + inner % TILE
    y = (tile // tiles_per_row) * TILE + inner // TILE
    return x, y


def tiled_neighborhood(b, h, q_idx, kv_idx):
    q_x, q_y = _tiled_xy(q_idx)
    kv_x, kv_y = _tiled_xy(kv_idx)
    return (torch.abs(q_x - kv_x) <= KERNEL) & (torch.abs(q_y - kv_y) <= KERNEL)


def block_diff_mask(b, h, q_idx, kv_idx, block_size, n):
    """BD3-LM's block-diffusion mask (noisy half, then clean half)."""
    x0_flag_q = q_idx >= n
    x0_flag_kv = kv_idx >= n
    block_q = torch.where(x0_flag_q == 1, (q_idx - n) // block_size, q_idx // block_size)
    block_kv = torch.where(x0_flag_kv == 1, (kv_idx - n) // block_size,
                           kv_idx // block_size)
    block_diagonal = (block_q == block_kv) & (x0_flag_q == x0_flag_kv)
    offset_block_causal = (block_q > block_kv) & (x0_flag_kv == 1) & (x0_flag_q == 0)
    block_causal = (block_q >= block_kv) & (x0_flag_kv == 1) & (x0_flag_q == 1)
    return block_diagonal | offset_block_causal | block_causal


block_diffusion = functools.partial(block_diff_mask, block_size=16, n=64)

SHARED = 30                     # a shared prompt, then 3 continuations
SEQ_ID = torch.cat([torch.zeros(SHARED, dtype=torch.long),
                    torch.arange(1, 4).repeat_interleave(40)])


def shared_prefix(b, h, q_idx, kv_idx):
    own = (SEQ_ID[q_idx] == SEQ_ID[kv_idx]) & (q_idx >= kv_idx)
    return (kv_idx < SHARED) | own


def _tree_table():
    """Ancestor table of a random token tree (speculative decoding)."""
    parent = torch.randint(0, 1, (MAXN,))
    for i in range(1, MAXN):
        parent[i] = torch.randint(0, i, (1,), generator=GEN)
    table = torch.eye(MAXN, dtype=torch.bool)
    for i in range(1, MAXN):
        table[i] |= table[parent[i]]
    return table


TREE = _tree_table()


def tree_mask(b, h, q_idx, kv_idx):
    return TREE[q_idx, kv_idx]


TOKENS_PER_IMAGE = 25           # keys: 6 images of 25 tokens
IMAGES_SEEN = torch.clamp(torch.arange(MAXN) // 20 - 1, 0, 6)  # per text token


def vision_cross_attention(b, h, q_idx, kv_idx):
    # Text tokens before the first image see nothing: fully masked rows.
    return kv_idx // TOKENS_PER_IMAGE < IMAGES_SEEN[q_idx]


KV_LENS = torch.tensor([150, 77])


def padding(b, h, q_idx, kv_idx):
    return kv_idx < KV_LENS[b]


HEAD_WINDOWS = torch.tensor([8, 16, 32, 300])


def per_head_window(b, h, q_idx, kv_idx):
    return (q_idx >= kv_idx) & (q_idx - kv_idx < HEAD_WINDOWS[h])


LAYOUT = torch.rand(HQ, 5, 5, generator=GEN) < 0.5


def block_sparse(b, h, q_idx, kv_idx):
    return LAYOUT[h, q_idx // 32, kv_idx // 32] | (q_idx // 32 == kv_idx // 32)


# ----------------------------------------------------------- score mods -- #

def _alibi_slopes(n):
    start = 2 ** (-8 / n)
    return torch.tensor([start ** (i + 1) for i in range(n)])


SLOPES = _alibi_slopes(HQ)


def alibi(score, b, h, q_idx, kv_idx):
    return score + SLOPES[h] * (kv_idx - q_idx)


def alibi_inline(score, b, h, q_idx, kv_idx):
    slope = torch.exp2(-((h + 1) * 8.0 / HQ))
    return score - slope * (q_idx - kv_idx).abs()


SOFTCAP = 20.0


def softcap(score, b, h, q_idx, kv_idx):
    return SOFTCAP * torch.tanh(score / SOFTCAP)


REL_RANGE = 32
REL_BIAS = 0.3 * _rand(HQ, 2 * REL_RANGE + 1)


def relative_bias(score, b, h, q_idx, kv_idx):
    rel = (q_idx - kv_idx).clamp(-REL_RANGE, REL_RANGE) + REL_RANGE
    return score + REL_BIAS[h, rel]


T5_BUCKETS, T5_EXACT, T5_MAX = 16, 8, 128
T5_BIAS = 0.3 * _rand(T5_BUCKETS, HQ)


def t5_bias(score, b, h, q_idx, kv_idx):
    rel = (q_idx - kv_idx).abs()
    large = T5_EXACT + (torch.log(rel.float() / T5_EXACT) / math.log(T5_MAX / T5_EXACT)
                        * (T5_BUCKETS - T5_EXACT)).to(torch.long)
    large = torch.minimum(large, torch.full_like(large, T5_BUCKETS - 1))
    bucket = torch.where(rel < T5_EXACT, rel, large)
    return score + T5_BIAS[bucket, h]


EDGE_BIAS = 0.2 * _rand(MAXN, MAXN)


def edge_bias(score, b, h, q_idx, kv_idx):
    return score + EDGE_BIAS[q_idx, kv_idx]


FULL_BIAS = 0.2 * _rand(B, HQ, MAXN, MAXN)


def full_bias(score, b, h, q_idx, kv_idx):
    return score + FULL_BIAS[b, h, q_idx, kv_idx]


TEMPERATURES = torch.tensor([0.5, 1.0, 1.5, 2.0])


def head_temperature(score, b, h, q_idx, kv_idx):
    return score / TEMPERATURES[h]


def head_scale(score, b, h, q_idx, kv_idx):
    return score * (h + 1) / HQ


def causal_by_score(score, b, h, q_idx, kv_idx):
    return torch.where(q_idx >= kv_idx, score, -float("inf"))


def checkerboard(score, b, h, q_idx, kv_idx):
    return torch.where((q_idx + kv_idx) % 2 == 0, score + 1.0, score * 0.5)


def positional_wave(score, b, h, q_idx, kv_idx):
    return score + 0.1 * torch.sin(q_idx.float() * 0.1) * torch.cos(kv_idx.to(torch.float32))


def clamped(score, b, h, q_idx, kv_idx):
    return score.clamp(min=-1.5, max=torch.tensor(1.5))


def gelu_mod(score, b, h, q_idx, kv_idx):
    return F.gelu(score)


def relu_mod(score, b, h, q_idx, kv_idx):
    return F.relu(score) - 0.1 * F.softplus(-score)


def silu_tanh(score, b, h, q_idx, kv_idx):
    return F.silu(score) + F.gelu(score, approximate="tanh") * 0.5


def leaky(score, b, h, q_idx, kv_idx):
    return F.leaky_relu(score, 0.2) + torch.sigmoid(score).abs()


def distance_decay(score, b, h, q_idx, kv_idx):
    return score - torch.log1p((q_idx - kv_idx).abs().float()) * 0.5


# (mask_mod, score_mod): mask_mod None is full attention.
CORPUS = {
    "causal": (causal, None),
    "sliding_window": (tflex.and_masks(causal, sliding_window), None),
    "symmetric_window": (symmetric_window, None),
    "dilated_window": (dilated_window, None),
    "sink_and_window": (sink_and_window, None),
    "prefix_lm": (tflex.or_masks(prefix_lm, causal), None),
    "document_causal": (document_causal, None),
    "document_offsets": (generate_doc_mask_mod(
        _relative_window, torch.tensor([0, 31, 64, 100, 150])), None),
    "neighborhood_2d": (neighborhood_2d, None),
    "tiled_neighborhood": (tiled_neighborhood, None),
    "block_diffusion": (block_diffusion, None),
    "shared_prefix": (shared_prefix, None),
    "tree_mask": (tree_mask, None),
    "vision_cross_attention": (vision_cross_attention, None),
    "padding": (padding, None),
    "per_head_window": (per_head_window, None),
    "block_sparse": (block_sparse, None),
    "noop_mask": (tflex.noop_mask, None),
    "alibi": (causal, alibi),
    "alibi_inline": (None, alibi_inline),
    "softcap": (tflex.and_masks(causal, sliding_window), softcap),
    "relative_bias": (None, relative_bias),
    "t5_bias": (causal, t5_bias),
    "edge_bias": (None, edge_bias),
    "full_bias": (None, full_bias),
    "head_temperature": (None, head_temperature),
    "head_scale": (None, head_scale),
    "causal_by_score": (None, causal_by_score),
    "checkerboard": (None, checkerboard),
    "positional_wave": (None, positional_wave),
    "clamped": (None, clamped),
    "gelu": (None, gelu_mod),
    "relu_softplus": (None, relu_mod),
    "silu_tanh": (None, silu_tanh),
    "leaky_sigmoid": (None, leaky),
    "distance_decay": (causal, distance_decay),
}


def _inputs(nq, nk, dtype=torch.float32):
    q = _rand(B, HQ, nq, D).to(dtype)
    k = _rand(B, HKV, nk, D).to(dtype)
    v = _rand(B, HKV, nk, D).to(dtype)
    return q, k, v


def _rel_error(actual, expected):
    diff = (actual.double() - expected.double()).norm()
    return (diff / expected.double().norm().clamp_min(1e-30)).item()


def _run_both(name, nq, nk, dtype=torch.float32):
    mask_mod, score_mod = CORPUS[name]
    q, k, v = _inputs(nq, nk, dtype)
    ours_mask = mask_mod and aot.create_block_mask(mask_mod, None, None, nq, nk)
    out, lse = aot.flex_attention(q, k, v, score_mod=score_mod, block_mask=ours_mask,
                                  enable_gqa=True, return_lse=True)
    # torch's reference in float32 on the same (rounded) inputs.
    torch_mask = mask_mod and tflex.create_block_mask(mask_mod, None, None, nq, nk,
                                                      device="cpu")
    ref, aux = tflex.flex_attention(q.float(), k.float(), v.float(),
                                    score_mod=score_mod, block_mask=torch_mask,
                                    enable_gqa=True,
                                    return_aux=tflex.AuxRequest(lse=True))
    return out, lse, ref, aux.lse


# Every mod at Nq < Nk, and at one of the other shapes in turn (each kernel
# costs about a second to compile on a shared 2-core machine).
CASES = [(name, shape) for i, name in enumerate(CORPUS)
         for shape in ("nq<nk", ("nq>nk", "square")[i % 2])]


@pytest.mark.parametrize("name, shape", CASES)
def test_corpus_matches_torch(name, shape):
    out, lse, ref, ref_lse = _run_both(name, *SHAPES[shape])
    assert out.dtype == torch.float32 and out.shape == ref.shape
    assert _rel_error(out, ref) < 1e-5, name
    finite = torch.isfinite(ref_lse)
    assert torch.equal(torch.isfinite(lse), finite), name
    assert torch.allclose(lse[finite], ref_lse[finite], rtol=1e-5, atol=1e-4), name
    # Fully masked rows are 0, as torch's.
    assert torch.all(out[~finite] == 0)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("name", ["document_causal", "alibi", "softcap", "t5_bias",
                                  "vision_cross_attention"])
def test_corpus_16_bit(name, dtype):
    out, lse, ref, ref_lse = _run_both(name, *SHAPES["nq<nk"], dtype=dtype)
    assert out.dtype == dtype
    assert _rel_error(out, ref) < 1e-2, name
    finite = torch.isfinite(ref_lse)
    assert torch.equal(torch.isfinite(lse), finite)


def test_vision_cross_attention_has_fully_masked_rows():
    # The corpus must exercise torch's "fully masked rows give 0" rule.
    out, lse, _, _ = _run_both("vision_cross_attention", *SHAPES["nq<nk"])
    assert torch.isinf(lse).any() and (out[torch.isinf(lse)] == 0).all()
