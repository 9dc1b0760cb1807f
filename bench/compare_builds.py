#!/usr/bin/env python3
"""Compares attention_bench of two builds, run alternately.

    python3 bench/compare_builds.py --old BUILD_A --new BUILD_B \\
        --filter 'attn/tile/causal/f32/N:4096/' [--repetitions 3]
        [--min-time SECONDS] [--json-out runs.json]

Runs BUILD_A/bin/attention_bench and BUILD_B/bin/attention_bench with the
same --benchmark_filter in turn, old, new, old, new, ... (--repetitions runs
of each), so that a load that comes and goes (another build on the machine)
falls on both alike, then prints one markdown table: per benchmark the median
wall time per call of each build, new/old, the spread of the runs and the
ratio of the CPU times per call (all threads of the process; on a loaded
machine it depends less on how much of the cores the process got). Below it:
the command lines, the CPU model, its AVX-512 flags and /proc/loadavg before
and after.
"""

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile

UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return f.read().strip()
    except OSError:
        return "?"


def cpu_description():
    """(model name, the AVX-512 flags of the host, space-separated)."""
    model, flags = "?", set()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        out = ""
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Model name":
            model = value.strip()
        elif key.strip() == "Flags":
            flags.update(value.split())
    return model, " ".join(sorted(f for f in flags if f.startswith("avx512")))


def bench_command(build, args):
    cmd = [os.path.join(build, "bin", "attention_bench"),
           "--benchmark_filter=" + args.filter]
    if args.min_time:
        cmd.append("--benchmark_min_time=" + args.min_time)
    return cmd


def run_benchmarks(cmd):
    """The iteration entries (JSON dicts) of one attention_bench run."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = tmp.name
    try:
        full = cmd + ["--benchmark_out=" + out, "--benchmark_out_format=json"]
        print("$ " + shlex.join(full), file=sys.stderr)
        subprocess.run(full, check=True, stdout=sys.stderr)
        with open(out) as f:
            data = json.load(f)
    finally:
        os.unlink(out)
    return [b for b in data["benchmarks"]
            if b.get("run_type", "iteration") == "iteration"
            and "error_occurred" not in b]


def run_once(cmd):
    """{benchmark name: (wall ms, CPU ms) per call} of one run."""
    times = {}
    for b in run_benchmarks(cmd):
        scale = UNIT_MS[b["time_unit"]]
        times[b["name"]] = (b["real_time"] * scale, b["cpu_time"] * scale)
    return times


def fmt(ms):
    return f"{ms:.1f}" if ms >= 10 else f"{ms:.3f}"


def table(old_runs, new_runs):
    names = []
    for runs in (old_runs, new_runs):
        for run in runs:
            names += [n for n in run if n not in names]
    rows = ["| benchmark | old ms | new ms | new/old | runs old (min-max ms) "
            "| runs new (min-max ms) | CPU new/old |",
            "|---|---|---|---|---|---|---|"]
    for name in names:
        old = [r[name] for r in old_runs if name in r]
        new = [r[name] for r in new_runs if name in r]
        if not old or not new:
            rows.append(f"| {name} | {fmt(statistics.median(w for w, _ in old)) if old else '-'} "
                        f"| {fmt(statistics.median(w for w, _ in new)) if new else '-'} "
                        "| - | - | - | - |")
            continue
        ow = statistics.median(w for w, _ in old)
        nw = statistics.median(w for w, _ in new)
        oc = statistics.median(c for _, c in old)
        nc = statistics.median(c for _, c in new)
        spread = lambda xs: (f"{len(xs)} ({fmt(min(w for w, _ in xs))}-"
                             f"{fmt(max(w for w, _ in xs))})")
        rows.append(f"| {name} | {fmt(ow)} | {fmt(nw)} | {nw / ow:.3f} "
                    f"| {spread(old)} | {spread(new)} | {nc / oc:.3f} |")
    return "\n".join(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--old", required=True, help="build directory (the baseline)")
    p.add_argument("--new", required=True, help="build directory (the change)")
    p.add_argument("--filter", required=True,
                   help="attention_bench --benchmark_filter (a regex)")
    p.add_argument("--repetitions", type=int, default=3,
                   help="runs of each build, alternating (default 3)")
    p.add_argument("--min-time", default=None,
                   help="--benchmark_min_time (e.g. 2s)")
    p.add_argument("--json-out", help="save every run's times here")
    args = p.parse_args()
    if args.repetitions < 1:
        p.error("--repetitions must be at least 1")
    builds = {"old": args.old, "new": args.new}
    for label, build in builds.items():
        binary = os.path.join(build, "bin", "attention_bench")
        if not os.access(binary, os.X_OK):
            p.error(f"--{label}: no executable {binary}")

    load_before = load_average()
    runs = {"old": [], "new": []}
    for _ in range(args.repetitions):
        for label in ("old", "new"):
            runs[label].append(run_once(bench_command(builds[label], args)))
    load_after = load_average()
    if not any(runs["old"]) and not any(runs["new"]):
        sys.exit(f"no benchmark matches --filter {args.filter!r} "
                 "(see attention_bench --benchmark_list_tests)")

    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"args": vars(args), "runs": runs,
                       "load_before": load_before, "load_after": load_after},
                      f, indent=1)

    model, avx512 = cpu_description()
    print(table(runs["old"], runs["new"]))
    print()
    print(f"Medians of {args.repetitions} runs per build, run alternately "
          "(old, new, old, new, ...); wall time per call.")
    print("Command: `" + shlex.join([sys.executable] + sys.argv) + "`")
    for label in ("old", "new"):
        print(f"{label}: `" + shlex.join(bench_command(builds[label], args)) + "`")
    print(f"CPU: {model}; AVX-512: {avx512 or 'none'}")
    print(f"/proc/loadavg before: {load_before}; after: {load_after}")


if __name__ == "__main__":
    main()
