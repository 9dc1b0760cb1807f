"""Index conventions: attribute masks see the bottom-right aligned query
position p = q + Nk - Nq, traced functions raw indices; the tracer offers
both by name (top_left, bottom_right) and the sequence lengths
(query_length, key_length)."""

import numpy as np
import pytest

import attn_opt as ao
from attn_opt import math as M
from conftest import assert_matches_reference, make_qkv

# Nq != Nk in both directions: decode-like (Nq < Nk) and Nq > Nk.
SHAPES = [(1, 2, 1, 5, 29, 8), (1, 2, 2, 23, 9, 8), (1, 2, 1, 17, 17, 8)]


@pytest.mark.parametrize("shape", SHAPES)
def test_bottom_right_region_is_the_causal_attribute(shape):
    args = make_qkv(shape, seed=4)
    region = ao.Spec(mask=lambda b, h, q, kv: kv <= ao.bottom_right(q))
    attribute = ao.Spec(mask=ao.causal())
    assert "attn.aligned_query" in region.text
    out = ao.run(region, *args)
    np.testing.assert_allclose(out, ao.run(attribute, *args), rtol=1e-6, atol=1e-6)
    assert_matches_reference(region, args)


def test_top_left_region_differs_when_lengths_differ():
    args = make_qkv(SHAPES[0], seed=5)
    top_left = ao.Spec(mask=lambda b, h, q, kv: kv <= ao.top_left(q))
    assert "attn.aligned_query" not in top_left.text
    assert_matches_reference(top_left, args)
    out = ao.run(top_left, *args)
    causal = ao.run(ao.Spec(mask=ao.causal()), *args)
    assert not np.allclose(out, causal)
    # Top-left with Nq == Nk is the same as bottom-right.
    square = make_qkv(SHAPES[2], seed=5)
    np.testing.assert_allclose(ao.run(top_left, *square),
                               ao.run(ao.Spec(mask=ao.causal()), *square),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
def test_lengths_in_a_score_mod(shape):
    # Sigmoid attention's shape-generic bias -log(Nk), and a term in Nq.
    def mod(s, b, h, q, kv):
        return s - M.log(M.to_float(ao.key_length())) + M.to_float(ao.query_length()) / 16.0

    spec = ao.Spec(score_mod=mod, normalization=ao.sigmoid())
    assert "attn.key_length" in spec.text and "attn.query_length" in spec.text
    assert_matches_reference(spec, make_qkv(shape, seed=6))


def test_last_keys_mask_from_lengths():
    spec = ao.Spec(mask=lambda b, h, q, kv: kv >= ao.key_length() - ao.query_length())
    assert_matches_reference(spec, make_qkv(SHAPES[0], seed=7))
    bm = ao.block_map(spec, 6, 10, tile_q=2, tile_kv=2)
    assert bm.density_exact


def test_alignment_helpers_outside_a_trace():
    with pytest.raises(ao.TraceError, match="only possible while tracing"):
        ao.query_length()
    with pytest.raises(ao.TraceError, match="bottom_right expects"):
        ao.bottom_right(3)
