#!/usr/bin/env python3
"""Registers, spills and shared memory of every zoo spec's GPU kernel.

Runs attn-emit-lib --resource-usage (ptxas -v) on zoo/**/*.mlir for sm_80
and sm_90 at B=1 Hq=8 Hkv=4 N=1000 D=128 (or Hkv=8, or the spec's default
size when it does not accept that shape) and prints a Markdown table, the
one in docs/gpu.md:

    python3 scripts/gpu_resources.py build/bin/attn-emit-lib > table.md

With --dtype f16 or --dtype bf16, Q, K, V and the output of every spec are
retyped first (attn-emit-lib --element-type), so that the tensor-core
kernels of the whole zoo are compiled:

    python3 scripts/gpu_resources.py build/bin/attn-emit-lib --dtype f16

Exits 1 when a kernel spills, fails to compile (the emitter's errors go to
stderr) or has no ptxas report (no CUDA toolkit); test/zoo/gpu-ptxas.mlir runs it under lit where ptxas is available.
Specs are compiled in parallel (one emitter per CPU).
"""
import concurrent.futures
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHAPES = ["1,8,4,1000,1000,128", "1,8,8,1000,1000,128", None]
LINE = re.compile(
    r"(\S+) (sm_\d+): registers (\d+), spill stores (\d+) B, spill loads (\d+) B, "
    r"stack (\d+) B, shared (\d+) B dynamic \+ (\d+) B static, block (\d+), "
    r"grid (\d+), tiles (\S+), K/V copies (\w+)(, softmax in registers)?")
WROTE = re.compile(r"wrote .*/(\S+)\.\{h,c,json\}.* shape (\S+)")


# The diagnostic of convert-attn-tile-to-gpu for a spec the GPU cannot lower
# yet.
NO_GPU_LOWERING = "has no GPU lowering yet"


def emit(emitter, spec, out, dtype=None):
    """Runs the emitter on `spec` with the first shape it accepts."""
    for shape in SHAPES:
        cmd = [emitter, str(spec), "--arch", "sm_80,sm_90", "-o", out,
               "--resource-usage"]
        if shape:
            cmd += ["--shape", shape]
        if dtype:
            cmd += ["--element-type", dtype]
        run = subprocess.run(cmd, capture_output=True, text=True)
        # A shape the spec accepts but the GPU cannot lower yet ends the
        # search too: another shape may fail the spec's own checks instead.
        if (run.returncode == 0 or NO_GPU_LOWERING in run.stderr):
            break
    return run


def main():
    args = sys.argv[1:]
    dtype = None
    if "--dtype" in args:
        i = args.index("--dtype")
        dtype = args[i + 1]
        del args[i:i + 2]
    emitter = args[0] if args else str(ROOT / "build/bin/attn-emit-lib")
    specs = sorted((ROOT / "zoo").rglob("*.mlir"))
    rows, bad = [], 0
    with tempfile.TemporaryDirectory() as out, \
            concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        runs = pool.map(lambda ns: emit(emitter, ns[1], f"{out}/{ns[0]}", dtype),
                        enumerate(specs))
        for spec, run in zip(specs, runs):
            rel = spec.relative_to(ROOT)
            if run.returncode != 0 and NO_GPU_LOWERING in run.stderr:
                # Linear attention runs on the CPU tile program only so far.
                rows.append(f"| {rel} | | no GPU lowering yet | | | | | | | |")
                continue
            if run.returncode != 0:
                rows.append(f"| {rel} | | compile error | | | | | | | |")
                print(f"{rel}:\n{run.stderr}", file=sys.stderr)
                bad += 1
                continue
            usage, shapes = {}, {}
            for line in run.stdout.splitlines():
                if m := LINE.match(line):
                    usage[(m[1], m[2])] = m
                elif m := WROTE.match(line):
                    shapes[m[1]] = m[2]
            # A spec's further kernels (split-KV's merge: NAME.1, ...) get
            # rows of their own.
            kernels = []
            for func, shape in shapes.items():
                kernels.append((func, shape))
                n = 1
                while (f"{func}.{n}", "sm_80") in usage:
                    kernels.append((f"{func}.{n}", shape))
                    n += 1
            for func, shape in kernels:
                a, b = usage.get((func, "sm_80")), usage.get((func, "sm_90"))
                if not a or not b:
                    rows.append(f"| {rel} | {func} | no ptxas | | | | | | | |")
                    bad += 1
                    continue
                spills = "/".join(f"{int(m[4]) + int(m[5])}" for m in (a, b))
                if spills != "0/0":
                    bad += 1
                stack = "/".join(m[6] for m in (a, b))
                rows.append(
                    f"| {rel} | {func} | {shape} | {a[11]} | {a[12]} | "
                    f"{'registers' if a[13] else 'shared'} | "
                    f"{a[3]} / {b[3]} | {spills} | {stack} | "
                    f"{int(a[7]) + int(a[8])} |")
    print("| spec | function | shape B,Hq,Hkv,Nq,Nk,D,Dv | tiles | K/V copies "
          "| S, P, softmax | registers sm_80 / sm_90 | spill bytes sm_80/sm_90 "
          "| stack bytes sm_80/sm_90 | shared bytes |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
