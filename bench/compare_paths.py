#!/usr/bin/env python3
"""Compares lowering paths of one attention_bench build, side by side.

    python3 bench/compare_paths.py [--build build] \\
        [--paths tile,tile_w8,tile_portable] \\
        [--cases '(dense|causal)/f32/N:1024/D:64/H:8/'] [--repetitions 3]

attention_bench names its benchmarks attn/<path>/<mask>/<dtype>/N/D/H. This
runs the benchmarks of every path in --paths whose rest of the name starts
with a match of --cases (a regex), all paths in one process per repetition (so a load that
comes and goes falls on all of them alike), and prints one markdown table:
per case, the median wall time per call of each path, its useful GFLOP/s
(4 B H N^2 D times the kept fraction, over wall time), and each path's time
over the first path's. Below it: the commands, the CPU, its AVX-512 flags
and /proc/loadavg before and after. Not a timed test: ctest runs none of it.
"""

import argparse
import os
import re
import shlex
import statistics
import sys

from compare_builds import UNIT_MS, cpu_description, load_average, run_benchmarks


def bench_command(args):
    paths = "|".join(re.escape(p) for p in args.paths)
    cmd = [os.path.join(args.build, "bin", "attention_bench"),
           f"--benchmark_filter=^attn/({paths})/{args.cases}"]
    if args.min_time:
        cmd.append("--benchmark_min_time=" + args.min_time)
    return cmd


ACCURACY = ("cos_vs_f32", "rel_err_vs_f32")


def run_once(cmd, accuracy):
    """{benchmark name: (wall ms per call, useful GFLOP/s)} of one run;
    `accuracy` collects {name: (cos, rel err)} where a path reports them
    (tile_int8 and tile_int8pv against the f32 tile program)."""
    runs = {}
    for b in run_benchmarks(cmd):
        runs[b["name"]] = (b["real_time"] * UNIT_MS[b["time_unit"]],
                           b.get("useful", 0.0) / 1e9)
        if ACCURACY[0] in b:
            accuracy[split_name(b["name"])] = tuple(b[k] for k in ACCURACY)
    return runs


def split_name(name):
    """('tile', 'causal/f32/N:1024/D:64/H:8') of
    attn/tile/causal/f32/N:1024/D:64/H:8/process_time/real_time."""
    _, path, rest = name.split("/", 2)
    return path, rest.replace("/process_time", "").replace("/real_time", "")


def table(runs, paths, accuracy):
    cases = []
    for run in runs:
        for name in run:
            rest = split_name(name)[1]
            if rest not in cases:
                cases.append(rest)
    head = ["case"]
    for p in paths:
        head += [f"{p} ms", f"{p} GFLOP/s"]
    head += [f"{p}/{paths[0]}" for p in paths[1:]]
    measured = [p for p in paths if any(k[0] == p for k in accuracy)]
    head += [f"{p} cos / rel err vs f32" for p in measured]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case in cases:
        cells, times = [case], {}
        for p in paths:
            samples = [value for r in runs for name, value in r.items()
                       if split_name(name) == (p, case)]
            if not samples:
                cells += ["-", "-"]
                continue
            times[p] = statistics.median(w for w, _ in samples)
            gflops = statistics.median(g for _, g in samples)
            cells += [f"{times[p]:.3f}" if times[p] < 10 else f"{times[p]:.1f}",
                      f"{gflops:.1f}"]
        for p in paths[1:]:
            cells.append(f"{times[p] / times[paths[0]]:.3f}"
                         if p in times and paths[0] in times else "-")
        for p in measured:
            a = accuracy.get((p, case))
            cells.append(f"{a[0]:.6f} / {a[1]:.2e}" if a else "-")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default="build", help="build directory")
    p.add_argument("--paths", default="tile,tile_w8,tile_portable",
                   help="comma-separated paths, the first the baseline")
    p.add_argument("--cases", default="(dense|causal)/f32/N:1024/D:64/H:8/",
                   help="regex on the rest of the benchmark name")
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--min-time", default=None,
                   help="--benchmark_min_time (e.g. 2s)")
    args = p.parse_args()
    args.paths = [x for x in args.paths.split(",") if x]
    if len(args.paths) < 2:
        p.error("--paths needs at least two paths")
    if args.repetitions < 1:
        p.error("--repetitions must be at least 1")
    binary = os.path.join(args.build, "bin", "attention_bench")
    if not os.access(binary, os.X_OK):
        p.error(f"--build: no executable {binary}")

    load_before = load_average()
    accuracy = {}
    runs = [run_once(bench_command(args), accuracy)
            for _ in range(args.repetitions)]
    load_after = load_average()
    if not any(runs):
        sys.exit("no benchmark matches (see attention_bench "
                 "--benchmark_list_tests)")
    model, avx512 = cpu_description()
    print(table(runs, args.paths, accuracy))
    print()
    print(f"Medians of {args.repetitions} runs; wall time per call.")
    print("Command: `" + shlex.join([sys.executable] + sys.argv) + "`")
    print("Runs: `" + shlex.join(bench_command(args)) + "`")
    print(f"CPU: {model}; AVX-512: {avx512 or 'none'}")
    print(f"/proc/loadavg before: {load_before}; after: {load_after}")


if __name__ == "__main__":
    main()
