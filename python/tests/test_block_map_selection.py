"""ao.block_map on selection specs: the selected key blocks of given inputs,
by the reference's rules (reference::selectedBlocks), per query token or
per query block, and its typed errors."""

import os

import numpy as np
import pytest

import attn_opt as ao
from attn_opt.errors import SpecError

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZOO = os.path.join(SOURCE_DIR, "zoo", "selection")


def _spec(name):
    path = os.path.join(ZOO, name)
    if not os.path.exists(path):
        pytest.skip(f"{path} not found")
    return ao.parse_file(path)


def _inputs(b, hq, hk, nq, nk, d, seed):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((b, hq, nq, d)).astype(np.float32)
    k = rng.standard_normal((b, hk, nk, d)).astype(np.float32)
    v = rng.standard_normal((b, hk, nk, d)).astype(np.float32)
    return q, k, v


def _moba_blocks(q, k, block, topk):
    """MoBA's rule written out in numpy: per token, the current block plus
    the best gates q . mean(K_block) among the past blocks (ties to the
    lower index), k blocks in all."""
    b, hq, nq, _ = q.shape
    hk, nk = k.shape[1], k.shape[2]
    blocks = -(-nk // block)
    kbar = np.stack([k[:, :, c * block:(c + 1) * block].astype(np.float64).mean(axis=2)
                     for c in range(blocks)], axis=2)
    out = np.zeros((b, hq, nq, blocks), dtype=bool)
    for bi in range(b):
        for h in range(hq):
            g = q[bi, h].astype(np.float64) @ kbar[bi, h // (hq // hk)].T
            for i in range(nq):
                p = i + nk - nq
                if p < 0:
                    continue
                cur = p // block
                order = [cur] + sorted(range(cur), key=lambda c: (-g[i, c], c))
                out[bi, h, i, order[:topk]] = True
    return out


@pytest.mark.parametrize("shape,seed", [((1, 2, 1, 37, 300, 16), 1),
                                        ((2, 4, 2, 130, 130, 8), 2)])
def test_moba_blocks_are_the_rule(shape, seed):
    spec = _spec("moba.mlir")
    q, k, v = _inputs(*shape, seed)
    got = ao.block_map(spec, q, k, v)
    assert got.dtype == np.bool_
    b, hq, _, nq, nk, _ = shape
    assert got.shape == (b, hq, nq, -(-nk // 64))
    np.testing.assert_array_equal(got, _moba_blocks(q, k, 64, 3))


def _biformer_blocks(q, k, region, topk):
    """BiFormer's routing written out in numpy: per query region, the
    region means' dot products against every region (non-causal, the own
    region not forced), the top-k (ties to the lower index)."""
    b, hq, nq, _ = q.shape
    hk, nk = k.shape[1], k.shape[2]
    kblocks, qblocks = -(-nk // region), -(-nq // region)
    mean = lambda x, c: x[:, :, c * region:(c + 1) * region].astype(np.float64).mean(axis=2)
    kbar = np.stack([mean(k, c) for c in range(kblocks)], axis=2)
    qbar = np.stack([mean(q, r) for r in range(qblocks)], axis=2)
    out = np.zeros((b, hq, qblocks, kblocks), dtype=bool)
    for bi in range(b):
        for h in range(hq):
            g = qbar[bi, h] @ kbar[bi, h // (hq // hk)].T
            for r in range(qblocks):
                order = sorted(range(kblocks), key=lambda c: (-g[r, c], c))
                out[bi, h, r, order[:topk]] = True
    return out


@pytest.mark.parametrize("shape,seed", [((1, 1, 1, 196, 196, 16), 5),
                                        ((1, 4, 2, 70, 203, 8), 6)])
def test_biformer_regions_are_the_rule(shape, seed):
    """causal = false: every region is eligible, future ones included."""
    spec = _spec("biformer.mlir")
    q, k, v = _inputs(*shape, seed)
    got = ao.block_map(spec, q, k, v)
    b, hq, _, nq, nk, _ = shape
    assert got.shape == (b, hq, -(-nq // 16), -(-nk // 16))
    np.testing.assert_array_equal(got, _biformer_blocks(q, k, 16, 4))
    assert (got.sum(axis=-1) == 4).all()


def test_query_block_selection_has_one_row_per_query_block():
    spec = _spec("seerattention.mlir")
    q, k, v = _inputs(1, 2, 1, 200, 200, 16, 3)
    rng = np.random.default_rng(4)
    wq = rng.standard_normal((2, 16, 8)).astype(np.float32) / 4
    wk = rng.standard_normal((1, 48, 8)).astype(np.float32) / 7
    got = ao.block_map(spec, q, k, v, gate_q_weight=wq, gate_k_weight=wk)
    assert got.shape == (1, 2, 4, 4)  # ceil(200 / 64) query and key blocks
    # Causal: query block r sees blocks 0..r, takes k = 4 of them.
    for r in range(4):
        assert got[0, :, r, r].all()
        assert not got[0, :, r, r + 1:].any()
        assert (got[0, :, r].sum(axis=-1) == min(r + 1, 4)).all()


def test_block_map_errors():
    moba = _spec("moba.mlir")
    q, k, v = _inputs(1, 2, 1, 8, 8, 16, 1)
    with pytest.raises(TypeError, match="needs the three arrays"):
        ao.block_map(moba, q, k)
    with pytest.raises(TypeError, match="takes sequence lengths"):
        ao.block_map(moba, 8, 8, v)
    with pytest.raises(ValueError, match="k's head_dim 8 differs from q's 16"):
        ao.block_map(moba, q, k[:, :, :, :8], v)
    seer = _spec("seerattention.mlir")
    with pytest.raises(TypeError, match="missing operand 'gate_q_weight'"):
        ao.block_map(seer, q, k, v)
    with pytest.raises(SpecError, match="gate_k_weight dimension 1"):
        ao.block_map(seer, q, k, v, gate_q_weight=np.ones((2, 16, 4), np.float32),
                     gate_k_weight=np.ones((1, 16, 4), np.float32))
    plain = ao.parse("""
func.func @f(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>, %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal) : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}""")
    with pytest.raises(ValueError, match="declares no selection"):
        ao.block_map(plain, q, k, v)


def test_seerattention_tile_program_matches_reference():
    spec = _spec("seerattention.mlir")
    q, k, v = _inputs(1, 2, 1, 150, 150, 16, 5)
    rng = np.random.default_rng(6)
    ops = dict(gate_q_weight=rng.standard_normal((2, 16, 16)).astype(np.float32) / 4,
               gate_k_weight=rng.standard_normal((1, 48, 16)).astype(np.float32) / 7)
    out = ao.run(spec, q, k, v, tile_program=True, **ops)
    assert ao.compare(out, ao.reference(spec, q, k, v, **ops)).passed


def test_given_scores_select_the_top_keys_of_each_key_head():
    """gate = given (DMA): the caller's block_scores rank the keys, the
    same set for every query of a key head, future keys included
    (causal = false: the mask applies afterwards)."""
    spec = _spec("dma.mlir")
    q, k, v = _inputs(1, 4, 2, 50, 300, 8, 7)
    rng = np.random.default_rng(8)
    delta = rng.standard_normal((1, 2, 300)).astype(np.float32)
    bias = rng.standard_normal((1, 4, 1, 300)).astype(np.float32)
    got = ao.block_map(spec, q, k, v, delta=delta, delta_bias=bias)
    assert got.shape == (1, 4, 50, 300)
    for h in range(4):
        top = np.argsort(-delta[0, h // 2], kind="stable")[:128]
        expected = np.zeros(300, dtype=bool)
        expected[top] = True
        assert (got[0, h] == expected).all()


def test_given_scores_of_the_wrong_shape_are_a_typed_error():
    spec = _spec("dma.mlir")
    q, k, v = _inputs(1, 2, 1, 20, 40, 8, 9)
    bias = np.zeros((1, 2, 1, 40), dtype=np.float32)
    with pytest.raises(SpecError, match="block_scores"):
        ao.block_map(spec, q, k, v, delta=np.zeros((1, 1, 39), np.float32),
                     delta_bias=bias)
