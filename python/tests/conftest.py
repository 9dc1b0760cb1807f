"""Shared helpers of the attn_opt tests.

ctest runs them with PYTHONPATH=<build>/python_packages. Run by hand, they
use whatever `import attn_opt` finds (scripts/setup.sh installs a .pth file
for ./build), or ATTN_OPT_PYTHONPATH if set.
"""

import os
import sys

_extra = os.environ.get("ATTN_OPT_PYTHONPATH")
if _extra:
    sys.path.insert(0, _extra)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import attn_opt as ao  # noqa: E402

SOURCE_DIR = os.environ.get(
    "ATTN_OPT_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

SPEC_TEXT = """\
func.func @spec(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
"""


def make_qkv(shape, dtype="f32", seed=0):
    """Random q, k, v for shape (B, Hq, Hkv, Nq, Nk, D[, Dv]) in the spec
    dtype convention (float32, float16, or uint16 bf16 bits)."""
    b, hq, hkv, nq, nk, d = shape[:6]
    dv = shape[6] if len(shape) > 6 else d
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((b, hq, nq, d)).astype(np.float32)
    k = rng.standard_normal((b, hkv, nk, d)).astype(np.float32)
    v = rng.standard_normal((b, hkv, nk, dv)).astype(np.float32)
    if dtype == "f16":
        return [x.astype(np.float16) for x in (q, k, v)]
    if dtype == "bf16":
        return [ao.to_bf16(x) for x in (q, k, v)]
    return [q, k, v]


def assert_matches_reference(spec, args, *, lse=False, **operands):
    """Runs tiled and untiled, compares both with the reference."""
    for tiled in (True, False):
        if lse:
            out, l = ao.run(spec, *args, tiled=tiled, return_lse=True, **operands)
            ref, rl = ao.reference(spec, *args, return_lse=True, **operands)
            c = ao.compare(l, rl, 1e-5)
            assert c.passed, f"lse tiled={tiled}: {c}"
        else:
            out = ao.run(spec, *args, tiled=tiled, **operands)
            ref = ao.reference(spec, *args, **operands)
        c = ao.compare(out, ref)
        assert c.passed, f"tiled={tiled}: {c}"
    return out, ref


@pytest.fixture
def spec_text():
    return SPEC_TEXT
