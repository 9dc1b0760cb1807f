"""Multi-branch specs (attn.merge, attn.gated_sum, attn.pool_blocks) from
Python: compiled output and logsumexp against the float64 reference of the
whole function, and the merge against the single softmax it stands for."""
import pathlib

import numpy as np
import pytest

import attn_opt as ao

ROOT = pathlib.Path(__file__).resolve().parents[2]

SPLIT = """
func.func @split(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>)
    -> (tensor<?x?x?x?xf32>, tensor<?x?x?xf32>) {
  %oa, %la = attn.attention %q, %k, %v mask(#attn.window<left = 15, right = 0>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %ob, %lb = attn.attention %q, %k, %v
       mask(#attn.and<[#attn.causal, #attn.not<#attn.window<left = 15, right = 0>>]>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  %o, %l = attn.merge %oa, %ob lse(%la, %lb : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}
"""

CAUSAL = """
func.func @causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
"""


def inputs(seed, b, hq, hk, nq, nk, d):
    r = np.random.default_rng(seed)
    return (r.standard_normal((b, hq, nq, d)).astype(np.float32),
            r.standard_normal((b, hk, nk, d)).astype(np.float32),
            r.standard_normal((b, hk, nk, d)).astype(np.float32))


@pytest.mark.parametrize("shape", [(1, 2, 1, 77, 77, 16), (1, 2, 2, 90, 40, 8)])
def test_merge_is_the_single_softmax(shape):
    q, k, v = inputs(1, *shape)
    out, lse = ao.run(SPLIT, q, k, v, return_lse=True)
    ref, ref_lse = ao.reference(SPLIT, q, k, v, return_lse=True)
    assert np.linalg.norm(out - ref) <= 1e-5 * np.linalg.norm(ref)
    assert (np.isneginf(lse) == np.isneginf(ref_lse)).all()
    finite = np.isfinite(ref_lse)
    np.testing.assert_allclose(lse[finite], ref_lse[finite], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out, ao.run(CAUSAL, q, k, v), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(1, 2, 1, 150, 300, 16), (2, 4, 2, 1, 130, 8)])
def test_pisa_matches_the_reference(shape):
    spec = (ROOT / "zoo/hybrids/pisa.mlir").read_text()
    q, k, v = inputs(2, *shape)
    out = ao.run(spec, q, k, v)
    ref = ao.reference(spec, q, k, v)
    assert np.linalg.norm(out - ref) <= 1e-5 * np.linalg.norm(ref)
