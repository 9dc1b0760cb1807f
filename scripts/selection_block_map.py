#!/usr/bin/env python3
"""Draws the key blocks a selection spec selects (ao.block_map) on
real-looking inputs, as PNG pictures for docs/zoo/.

The inputs have a few strong directions: the sequence is a run of
"topics" (segments of a few blocks), each key carries its topic's
direction on top of noise, and each query mostly its own topic's, so the
gates prefer the earlier blocks of the same topic, as a trained model's
would; BiFormer's image grid has a few objects (Voronoi cells of random
centres), each with its direction, laid out region by region. Rows are
query tokens (MoBA) or query blocks (SeerAttention, BiFormer's regions),
columns key blocks; dark blue = selected, light gray = not selected,
white = in the future of the row (not eligible).

    PYTHONPATH=build/python_packages python3 scripts/selection_block_map.py docs/zoo

SeerAttention's gate weights are not trained here: Wq = I and Wk reads the
mean pool (the [max, min, mean] concatenation's last D columns), each plus
small noise, so the learned gate behaves like a block-mean router; the
picture shows the declaration's selection, not the paper's trained gate.
"""

import os
import struct
import sys
import zlib

import numpy as np

import attn_opt as ao

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SELECTED, OTHER, FUTURE = (31, 58, 147), (215, 215, 215), (255, 255, 255)


def write_png(path, pixels):
    """`pixels`: uint8 [height, width, 3] as an 8-bit RGB PNG (zlib, no
    filter)."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\0" + pixels[y].tobytes() for y in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def topic_inputs(b, h, n, d, block, topics, seed):
    """q, k, v [b, h, n, d] with `topics` strong directions: topic segments
    of 1 to 4 blocks, keys and queries along their segment's direction."""
    rng = np.random.default_rng(seed)
    directions = np.linalg.qr(rng.standard_normal((d, topics)))[0].T  # orthonormal
    topic = np.empty(n, dtype=int)
    start = 0
    while start < n:
        length = block * int(rng.integers(1, 5))
        topic[start:start + length] = rng.integers(topics)
        start += length
    strength = 3.0 * np.sqrt(d)
    q = rng.standard_normal((b, h, n, d)) + 0.7 * strength * directions[topic]
    k = rng.standard_normal((b, h, n, d)) + strength * directions[topic]
    v = rng.standard_normal((b, h, n, d))
    return [a.astype(np.float32) for a in (q, k, v)]


def image_inputs(b, h, grid, region, d, objects, seed):
    """q, k, v [b, h, grid^2, d] of an image-like token grid laid out
    region by region (BiFormer's rearrange): `objects` regions of the
    grid (nearest of random centres, a Voronoi partition) each carry one
    strong direction, so the keys of a region mostly share its objects'."""
    rng = np.random.default_rng(seed)
    directions = np.linalg.qr(rng.standard_normal((d, objects)))[0].T
    centres = rng.uniform(0, grid, (objects, 2))
    y, x = np.mgrid[0:grid, 0:grid]
    owner = np.argmin((y[..., None] - centres[:, 0]) ** 2 +
                      (x[..., None] - centres[:, 1]) ** 2, axis=-1)
    # Region-major order: region (y // r, x // r), then (y % r, x % r).
    per_side = grid // region
    order = np.lexsort(((x % region).ravel(), (y % region).ravel(),
                        (x // region).ravel(), (y // region).ravel()))
    topic = owner.ravel()[order]
    strength = 3.0 * np.sqrt(d)
    n = grid * grid
    q = rng.standard_normal((b, h, n, d)) + 0.7 * strength * directions[topic]
    k = rng.standard_normal((b, h, n, d)) + strength * directions[topic]
    v = rng.standard_normal((b, h, n, d))
    assert per_side * region == grid
    return [a.astype(np.float32) for a in (q, k, v)]


def picture(selected, rows_per_block, cell, block, nk, causal_rows):
    """RGB cells of `selected` [rows, blocks]: `cell` pixels wide, each row
    `rows_per_block` pixels high; a block beyond a row's last position
    (`causal_rows[r]`) is drawn as future."""
    rows, blocks = selected.shape
    image = np.empty((rows * rows_per_block, blocks * cell, 3), dtype=np.uint8)
    for r in range(rows):
        for c in range(blocks):
            color = SELECTED if selected[r, c] else (
                FUTURE if c * block > causal_rows[r] else OTHER)
            image[r * rows_per_block:(r + 1) * rows_per_block, c * cell:(c + 1) * cell] = color
    # Thin grid lines between key blocks.
    image[:, ::cell] = np.minimum(image[:, ::cell], 190)
    return image


def main(out_dir):
    n, d, block = 2048, 64, 64
    moba = ao.parse_file(os.path.join(SOURCE_DIR, "zoo", "selection", "moba.mlir"))
    q, k, v = topic_inputs(1, 1, n, d, block, topics=5, seed=7)
    selected = ao.block_map(moba, q, k, v)[0, 0]  # [N, blocks], per token
    last = np.arange(n)
    write_png(os.path.join(out_dir, "P01_moba_selection.png"),
              picture(selected[::4], 1, 16, block, n, last[::4]))

    seer = ao.parse_file(os.path.join(SOURCE_DIR, "zoo", "selection", "seerattention.mlir"))
    rng = np.random.default_rng(8)
    wq = (np.eye(d) + 0.05 * rng.standard_normal((d, d)))[None].astype(np.float32)
    wk = np.concatenate([np.zeros((2 * d, d)), np.eye(d)]) + 0.05 * rng.standard_normal((3 * d, d))
    selected = ao.block_map(seer, q, k, v, gate_q_weight=wq,
                            gate_k_weight=wk[None].astype(np.float32))[0, 0]
    ends = np.minimum(np.arange(1, selected.shape[0] + 1) * 64, n) - 1
    write_png(os.path.join(out_dir, "P20_seerattention_selection.png"),
              picture(selected, 16, 16, block, n, ends))

    # BiFormer: a 28 x 28 map in 7 x 7 regions of 16 tokens, 6 objects;
    # every region eligible (non-causal), top-4 per query region.
    biformer = ao.parse_file(os.path.join(SOURCE_DIR, "zoo", "selection", "biformer.mlir"))
    q, k, v = image_inputs(1, 1, 28, 4, d, objects=6, seed=9)
    selected = ao.block_map(biformer, q, k, v)[0, 0]  # [49 regions, 49 regions]
    everything = np.full(selected.shape[0], 28 * 28)
    write_png(os.path.join(out_dir, "P19_biformer_selection.png"),
              picture(selected, 12, 12, 16, 28 * 28, everything))
    print(f"wrote {out_dir}/P01_moba_selection.png, P20_seerattention_selection.png "
          "and P19_biformer_selection.png")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(SOURCE_DIR, "docs", "zoo"))
