"""Block selection (MoBA, ``zoo/selection/moba.mlir``) from Python: the
spec file parses, runs through ``tile_program=True`` at several lengths
(not multiples of its 64-key blocks, Nq < Nk, Nq > Nk) against the float64
reference, and the default tiled path refuses it with the located
diagnostic of the C++ lowering (the tile program is its only lowering).
"""

import os

import pytest

import attn_opt as ao
from attn_opt.errors import CompileError
from conftest import make_qkv

SOURCE_DIR = os.path.join(os.path.dirname(__file__), "..", "..")
MOBA = os.path.join(SOURCE_DIR, "zoo", "selection", "moba.mlir")


@pytest.fixture(scope="module")
def moba():
    if not os.path.exists(MOBA):
        pytest.skip("zoo spec not found")
    return ao.parse_file(MOBA)


@pytest.mark.parametrize("shape", [(1, 2, 1, 1, 1, 8), (1, 2, 1, 200, 200, 16),
                                   (1, 4, 2, 37, 300, 16), (1, 2, 2, 150, 70, 8)])
@pytest.mark.parametrize("seed", [0, 1])
def test_moba_tile_program_matches_reference(moba, shape, seed):
    q, k, v = make_qkv(shape, "f32", seed)
    out = ao.run(moba, q, k, v, tile_program=True)
    c = ao.compare(out, ao.reference(moba, q, k, v))
    assert c.passed, str(c)


def test_moba_other_lowerings_refuse(moba):
    q, k, v = make_qkv((1, 2, 1, 100, 100, 16), "f32", 0)
    for lowering in (dict(tiled=False),):
        with pytest.raises(CompileError, match="block selection is lowered through the tile program only"):
            ao.run(moba, q, k, v, **lowering)
    c = ao.compare(ao.run(moba, q, k, v), ao.reference(moba, q, k, v))  # the default
    assert c.passed, str(c)
