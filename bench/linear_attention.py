#!/usr/bin/env python3
"""Causal linear attention: attn-opt's tile program against PyTorch on the CPU.

    python3 bench/linear_attention.py [--build build] [--lengths 1024,2048,4096]
        [--heads 16] [--dim 128] [--chunk 64] [--threads 1] [--repeat 3]
        [--quadratic-max 4096] [--softmax-max 8192] [--dtype f32|bf16]
        [--old-build BUILD]

Spec: zoo/linear/linear_transformer.mlir (phi = ELU+1, causal, the l1
denominator), f32 or bf16 (--dtype), B = 1, H heads, D = Dv. Per length it
times, as the best of --repeat runs:

  * attn-opt, chunked: `attn-run --tile-program --linear-chunk CHUNK` (the O(N)
    form: state carried between chunks);
  * attn-opt, quadratic: the same with `--linear-chunk 0` (up to
    --quadratic-max);
  * attn-opt softmax: zoo/basics/causal.mlir through the tile program, the
    crossover reference (up to --softmax-max);
  * PyTorch: the same chunked algorithm written with torch matmuls (intra-chunk
    quadratic part, inter-chunk state), torch.set_num_threads(--threads), in
    the same element type;
  * with --old-build, the chunked form of another build (side by side, the
    runs of the two builds alternating per length).

With --cpu-time every column is CPU seconds of the process instead of wall
time (one thread: the time it ran, whatever else shares the cores).

and prints one markdown table: ms per call and GFLOP/s of the chunked
algorithm's FLOPs (2 N C D + 2 N C Dv inside the chunks, 4 N D Dv for the
state, per head; C = the chunk), the growth from the previous length, and the
ratio PyTorch / attn-opt chunked. Then the command lines, the CPU model, its
AVX-512 flags and the load. torch is imported here only (the tests never need
it); without it the PyTorch column is empty.
"""

import argparse
import os
import re
import subprocess
import sys
import time

from compare_builds import cpu_description, load_average

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_TIME = re.compile(r"\brun ([0-9.]+) s")
RUN_CPU = re.compile(r"\brun-cpu ([0-9.]+) s")


def attn_run(args, spec, n, extra, build=None):
    cmd = [os.path.join(build or args.build, "bin", "attn-run"),
           os.path.join(ROOT, "zoo", spec), "--random", "1",
           "--shape", f"1,{args.heads},{args.heads},{n},{n},{args.dim}",
           "--num-threads", str(args.threads), "--repeat", str(args.repeat)] + extra
    if args.dtype != "f32":
        cmd += ["--element-type", args.dtype]
    out = subprocess.run(cmd, capture_output=True, text=True)
    m = (RUN_CPU if args.cpu_time else RUN_TIME).search(out.stdout)
    if out.returncode != 0 or not m:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stdout}{out.stderr}")
    return float(m.group(1)), " ".join(cmd[1:])


def torch_chunked(args, n):
    """Best time of the chunked algorithm in torch, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(1)
    shape = (1, args.heads, n, args.dim)
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    q, k, v = (torch.randn(shape, generator=g).to(dtype) for _ in range(3))
    c = args.chunk

    def run():
        fq = torch.nn.functional.elu(q) + 1
        fk = torch.nn.functional.elu(k) + 1
        state = torch.zeros(1, args.heads, args.dim, args.dim, dtype=dtype)
        ksum = torch.zeros(1, args.heads, args.dim, dtype=dtype)
        causal = torch.tril(torch.ones(c, c, dtype=dtype))
        out = torch.empty_like(v)
        for c0 in range(0, n, c):
            qc, kc, vc = fq[:, :, c0:c0 + c], fk[:, :, c0:c0 + c], v[:, :, c0:c0 + c]
            m = causal[:qc.shape[2], :kc.shape[2]]
            s = (qc @ kc.transpose(-1, -2)) * m
            num = s @ vc + qc @ state
            den = s.sum(-1) + (qc * ksum[:, :, None, :]).sum(-1)
            out[:, :, c0:c0 + c] = num / den[..., None]
            state = state + kc.transpose(-1, -2) @ vc
            ksum = ksum + kc.sum(2)
        return out

    with torch.no_grad():
        run()
        best = float("inf")
        for _ in range(args.repeat):
            clock = time.process_time if args.cpu_time else time.perf_counter
            t0 = clock()
            run()
            best = min(best, clock() - t0)
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--lengths", default="1024,2048,4096")
    p.add_argument("--heads", type=int, default=16)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--chunk", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--quadratic-max", type=int, default=4096)
    p.add_argument("--softmax-max", type=int, default=8192)
    p.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    p.add_argument("--old-build", default=None)
    p.add_argument("--cpu-time", action="store_true",
                   help="time CPU seconds of the process (attn-run's run-cpu, "
                        "torch under time.process_time) instead of wall time: "
                        "steadier on a shared, loaded host (one thread only)")
    args = p.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]

    rows, commands, previous = [], [], None
    chunk_flags = ["--tile-program", "--linear-chunk", str(args.chunk)]
    for n in lengths:
        old = None
        if args.old_build:
            old, cmd = attn_run(args, "linear/linear_transformer.mlir", n,
                                chunk_flags, args.old_build)
            commands.append(cmd)
        chunked, cmd = attn_run(args, "linear/linear_transformer.mlir", n,
                                chunk_flags)
        commands.append(cmd)
        quadratic = softmax = None
        if n <= args.quadratic_max:
            quadratic, cmd = attn_run(args, "linear/linear_transformer.mlir", n,
                                      ["--tile-program", "--linear-chunk", "0"])
            commands.append(cmd)
        if n <= args.softmax_max:
            softmax, cmd = attn_run(args, "basics/causal.mlir", n, [])
            commands.append(cmd)
        reference = torch_chunked(args, n)
        flops = args.heads * n * (2 * args.chunk * args.dim * 2 + 4 * args.dim * args.dim)
        growth = f"{chunked / previous[1]:.2f}x" if previous else ""
        previous = (n, chunked)
        ms = lambda t: f"{t * 1e3:.1f}" if t is not None else "-"
        rows.append(
            f"| {n} | {ms(chunked)} | {flops / chunked / 1e9:.2f} | {growth} | "
            + (f"{ms(old)} | {old / chunked:.2f} | " if args.old_build else "")
            + f"{ms(quadratic)} | {ms(softmax)} | {ms(reference)} | "
            + (f"{flops / reference / 1e9:.2f} | {reference / chunked:.2f} |"
               if reference else "- | - |"))
    model, flags = cpu_description()
    print(f"Causal linear attention (ELU+1, l1), {args.dtype}, B 1, H {args.heads}, "
          f"D = Dv = {args.dim}, chunk {args.chunk}, {args.threads} thread(s), "
          f"{'CPU' if args.cpu_time else 'wall'} time\n")
    old_columns = "| old build chunked ms | old / new " if args.old_build else ""
    print("| N | attn-opt chunked ms | GFLOP/s | time vs previous N "
          + old_columns +
          "| attn-opt quadratic ms | attn-opt softmax ms "
          "| PyTorch chunked ms | PyTorch GFLOP/s | PyTorch / attn-opt |")
    print("|---" * (11 if args.old_build else 9) + "|")
    print("\n".join(rows))
    print(f"\nCommand: {' '.join(sys.argv)}")
    for c in commands:
        print(f"    attn-run {c}")
    print(f"CPU: {model}; AVX-512 flags: {flags or 'none'}")
    print(f"load: {load_average()}")


if __name__ == "__main__":
    main()
