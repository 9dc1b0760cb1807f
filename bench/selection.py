#!/usr/bin/env python3
"""MoBA-style block selection against dense attention (issue 16's measurement).

    python3 bench/selection.py [--build build] [--lengths 4096,32768,131072]
        [--dense-max 32768] [--dtypes f32,bf16] [--heads 8] [--dim 128]
        [--block 512] [--topk 8] [--repeat 2] [--threads 0]
        [--union-build DIR] [--union-max 32768]

For each length N and dtype, at B1 H heads D:
  * moba: causal attention with `selection(#attn.topk_blocks<block = BLOCK,
    k = TOPK + 1, pool = mean>)` (top-k past blocks by the mean-pooled key
    gate plus the current block, per query token, as zoo/selection/moba.mlir),
    through the tile program (the default lowering: per-token selections
    take the regrouped form, docs/pipeline.md "Pooling and selection");
  * union (with --union-build, a build of the union form, e.g. the main
    branch before the regrouped form; up to --union-max): the same spec
    there, visiting per query tile the union of its rows' blocks;
  * dense: the same attention without mask or selection (only up to
    --dense-max: dense at N = 131072 is an hour on two cores); above it
    the ratio is against dense extrapolated quadratically from the
    largest measured length (marked "est.");
  * kept: the kept fraction of the N x N pairs, from the float64
    reference's selection on the same inputs (`attn_opt.block_map` on the
    inputs attn-run dumps), causal inside each row: the work a kernel that
    visits exactly the kept pairs does;
  * moba / (dense x kept): the issue asks at most 1.3 at N = 32768;
  * selection share: (moba at k = 1, i.e. the current block only) minus the
    same attention written as a static mask (`and<[causal, chunked<BLOCK>]>`),
    over moba: what pooling, gates, ranking and the per-row selection masks
    cost on top of the attention they select (a proxy: at k = 1 the
    selected tiles are the current blocks' exactly).
Times are the best wall time of --repeat runs of `attn-run --random 1
--repeat R`, in the same process order per case. Prints a markdown table,
the commands, the CPU flags and the load average before and after.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

from benchlib import load_average, print_footer

import numpy as np

RUN = re.compile(r"run ([0-9.e+-]+) s\s+path (.+?)\s+run-cpu ([0-9.e+-]+) s")

SPEC = """func.func @{name}(%q: tensor<?x?x?x?x{t}>, %k: tensor<?x?x?x?x{t}>,
                %v: tensor<?x?x?x?x{t}>) -> tensor<?x?x?x?x{t}> {{
  %o = attn.attention %q, %k, %v {attrs}
       : tensor<?x?x?x?x{t}>, tensor<?x?x?x?x{t}>, tensor<?x?x?x?x{t}>
         -> tensor<?x?x?x?x{t}>
  return %o : tensor<?x?x?x?x{t}>
}}
"""


def write_spec(tmp, name, dtype, attrs):
    path = os.path.join(tmp, f"{name}_{dtype}.mlir")
    with open(path, "w") as f:
        f.write(SPEC.format(name=name, t=dtype, attrs=attrs))
    return path


def run(build, spec, shape, args, commands, extra=()):
    cmd = [os.path.join(build, "bin", "attn-run"), spec, "--random", "1",
           "--shape", shape, "--repeat", str(args.repeat), "--num-threads",
           str(args.threads)] + list(extra)
    commands.append(" ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    m = RUN.search(proc.stdout)
    assert m and m.group(2) == "tile program", proc.stdout
    # The process CPU time (all threads) of the best run too: on a shared
    # machine the wall time carries the other users' load, the CPU time
    # only this run's work.
    return float(m.group(1)), float(m.group(3))


def kept_fraction(build, spec, shape, n, block, tmp, commands):
    """Kept pairs / N^2 of the reference's selection on attn-run's inputs,
    causal inside the rows (bottom-right aligned: Nq = Nk, p = i)."""
    import attn_opt as ao
    prefix = os.path.join(tmp, "in_")
    # The inputs of the timed runs (same seed and shape), written by one
    # more run of the compiled kernel.
    cmd = [os.path.join(build, "bin", "attn-run"), spec, "--random", "1",
           "--shape", shape, "--dump-inputs", prefix]
    commands.append(" ".join(cmd))
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    q, k, v = (np.load(prefix + x + ".npy") for x in ("q", "k", "v"))
    selected = ao.block_map(open(spec).read(), q, k, v)  # [B, H, N, blocks]
    blocks = selected.shape[-1]
    p = np.arange(n)[:, None]
    start = np.arange(blocks)[None, :] * block
    keys = np.clip(np.minimum(p + 1, start + block) - start, 0, None)  # [N, blocks]
    return float((selected * keys[None, None]).sum()) / (
        selected.shape[0] * selected.shape[1] * n * n)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(root, "build"))
    p.add_argument("--lengths", default="4096,32768,131072")
    p.add_argument("--dense-max", type=int, default=32768)
    p.add_argument("--dtypes", default="f32,bf16")
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--block", type=int, default=512)
    p.add_argument("--topk", type=int, default=8)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--union-build", default=None)
    p.add_argument("--union-max", type=int, default=32768)
    args = p.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python_packages"))
    commands, rows = [], []
    before = load_average()
    bsel = f"selection(#attn.topk_blocks<block = {args.block}, k = {{k}}, pool = mean>)"
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in args.dtypes.split(","):
            moba = write_spec(tmp, "moba", dtype,
                              "mask(#attn.causal) " + bsel.format(k=args.topk + 1))
            current = write_spec(tmp, "moba_current", dtype,
                                 "mask(#attn.causal) " + bsel.format(k=1))
            chunked = write_spec(tmp, "chunked", dtype,
                                 f"mask(#attn.and<[#attn.causal, #attn.chunked<{args.block}>]>)")
            dense = write_spec(tmp, "dense", dtype, "")
            for n in (int(x) for x in args.lengths.split(",")):
                shape = f"1,{args.heads},{args.heads},{n},{n},{args.dim}"
                t_moba = run(args.build, moba, shape, args, commands)
                t_union = (run(args.union_build, moba, shape, args, commands)
                           if args.union_build and n <= args.union_max
                           else (None, None))
                t_cur = run(args.build, current, shape, args, commands)
                t_chunk = run(args.build, chunked, shape, args, commands)
                t_dense = (run(args.build, dense, shape, args, commands)
                           if n <= args.dense_max else (None, None))
                kept = kept_fraction(args.build, moba, shape, n, args.block, tmp,
                                     commands)
                rows.append((n, dtype, t_moba, t_union, t_dense, kept, t_cur,
                             t_chunk))
    print(f"B1 H{args.heads} D{args.dim}, block {args.block}, top-{args.topk} + "
          f"the current block, causal; best of {args.repeat}, threads "
          f"{args.threads or 'all'}\n")
    print("Wall time / process CPU time (both threads) in seconds; the "
          "ratios on each.\n")
    print("| N | dtype | moba s | union s | dense s | kept | "
          "moba / (dense x kept) | k=1 s | chunked mask s | selection share |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    measured = {}
    for n, dtype, _, _, t_dense, *_ in rows:
        if t_dense[0]:
            measured[dtype] = (n, t_dense)
    pair = lambda t: f"{t[0]:.3f} / {t[1]:.3f}" if t[0] else "n/a"
    for n, dtype, t_moba, t_union, t_dense, kept, t_cur, t_chunk in rows:
        dense = pair(t_dense)
        if not t_dense[0] and dtype in measured:
            # Dense attention is quadratic in N: extrapolated.
            n0, t0 = measured[dtype]
            t_dense = tuple(t * (n / n0) ** 2 for t in t0)
            dense = f"{t_dense[0]:.1f} / {t_dense[1]:.1f} est."
        ratio = (" / ".join(f"{m / (d * kept):.2f}"
                            for m, d in zip(t_moba, t_dense))
                 if t_dense[0] else "n/a")
        share = " / ".join(f"{max(0.0, c - h) / m:.1%}"
                           for m, c, h in zip(t_moba, t_cur, t_chunk))
        print(f"| {n} | {dtype} | {pair(t_moba)} | {pair(t_union)} | {dense} | "
              f"{kept:.4f} | {ratio} | {pair(t_cur)} | {pair(t_chunk)} | "
              f"{share} |")
    print_footer(before, commands)


if __name__ == "__main__":
    main()
