#!/usr/bin/env python3
"""Compile time of the tile program and of the untiled baseline, side by side.

    python3 bench/compile_time.py [--build build] [--runs 5] \\
        [--shape 1,4,2,100,100,64,64] [--specs NAME,...] [--old OTHER_BUILD]

For each spec of a representative set (dense, causal, sliding window, a
score_mod spec, bf16, linear attention, quantized) this runs
`attn-run SPEC --random 1 --shape SHAPE --compile-phases` through the tile
program (`--tile-program`, the JIT default) and through the untiled baseline
(`--untiled`, the floor of what a kernel costs to compile), each --runs
times, alternating the two (a load that comes and goes falls on both
alike). The shape is tiny, so the process's CPU time
(user + system, from wait4) is the compile time plus the process's start and
a sub-millisecond run; the table gives its median, and the median of the
JIT's own phases (wall time): the MLIR pass pipeline (spec to the LLVM
dialect), LLVM's IR optimizer, and translation plus code generation, with
the LLVM IR size (instructions handed to the optimizer). With --old, the tile
program of another build runs in the same alternation (before/after).

It builds nothing and installs nothing; ctest runs none of it. Below the
table: the commands, the CPU and /proc/loadavg before and after (three
engineers share two cores: compare only numbers from one run of the script).
"""

import argparse
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys

from compare_builds import cpu_description, load_average

# (name, spec relative to the repository, extra attn-run arguments)
SPECS = [
    ("dense", "zoo/schedules/rabe_staats.mlir", []),
    ("causal", "zoo/basics/causal.mlir", []),
    ("sliding window", "zoo/basics/sliding_window.mlir", []),
    ("gemma2 (score_mod)", "zoo/hybrids/gemma2.mlir", []),
    ("causal bf16", "zoo/basics/causal.mlir", ["--element-type", "bf16"]),
    ("linear (elu+1)", "zoo/linear/linear_transformer.mlir", []),
    ("sage int8 (quantized)", "zoo/quantization/sage_int8.mlir", []),
]

PHASES = re.compile(r"compile phases\s+mlir ([\d.]+) s\s+llvm-opt ([\d.]+) s"
                    r"\s+codegen ([\d.]+) s\s+llvm-ir (\d+) instructions")


def run_once(cmd):
    """(mlir, opt, codegen, instructions) of one run; None where the path
    does not compile the spec (linear attention: the tile program only)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    # communicate() reaps the child: its rusage is in RUSAGE_CHILDREN.
    if proc.returncode != 0:
        if "tile program only" in err:
            return None
        sys.exit(f"failed ({proc.returncode}): {shlex.join(cmd)}\n{err}")
    match = PHASES.search(out)
    if not match:
        sys.exit(f"no 'compile phases' line from: {shlex.join(cmd)}\n{out}")
    return tuple(float(g) for g in match.groups())


def children_cpu():
    # getrusage, not os.times(): microseconds instead of clock ticks.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cmds, runs):
    """Per command: lists of CPU seconds and phases, alternating commands."""
    results = {key: [] for key in cmds}
    for _ in range(runs):
        for key, cmd in cmds.items():
            before = children_cpu()
            phases = run_once(cmd)
            if phases is not None:
                results[key].append((children_cpu() - before,) + phases)
    return results


def median(rows, column):
    return statistics.median(row[column] for row in rows)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--old", help="another build: its tile program too")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shape", default="1,4,2,100,100,64,64")
    parser.add_argument("--specs", help="comma-separated names (prefixes)")
    args = parser.parse_args()

    def command(build, spec, extra, tile):
        cmd = [os.path.join(build, "bin", "attn-run"),
               os.path.join(root, spec), "--random", "1", "--shape",
               args.shape, "--compile-phases"] + extra
        # The tile program is attn-run's default since 2026-12-07; the flag
        # keeps older builds (--old) on it too.
        return cmd + (["--tile-program"] if tile else ["--untiled"])

    specs = SPECS
    if args.specs:
        wanted = args.specs.split(",")
        specs = [s for s in SPECS if any(s[0].startswith(w) for w in wanted)]
    load_before = load_average()
    paths = [("untiled", args.build, False), ("tile", args.build, True)]
    if args.old:
        paths.append(("old tile", args.old, True))
    header = ["spec"]
    for name, _, _ in paths:
        header.append(f"{name} CPU s")
    header += ["tile / untiled"]
    if args.old:
        header += ["tile / old tile"]
    for name, _, _ in paths:
        header.append(f"{name}: mlir / llvm-opt / codegen s, IR")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    commands = []
    for label, spec, extra in specs:
        cmds = {name: command(build, spec, extra, tile)
                for name, build, tile in paths}
        commands += list(cmds.values())
        res = measure(cmds, args.runs)
        cpu = {name: median(res[name], 0) if res[name] else None
               for name, _, _ in paths}
        row = [label] + [f"{cpu[name]:.3f}" if cpu[name] else "n/a"
                         for name, _, _ in paths]
        row.append(f"{cpu['tile'] / cpu['untiled']:.2f}x" if cpu["untiled"]
                   else "n/a")
        if args.old:
            row.append(f"{cpu['tile'] / cpu['old tile']:.2f}x")
        for name, _, _ in paths:
            rows = res[name]
            row.append(f"{median(rows, 1):.3f} / {median(rows, 2):.3f} / "
                       f"{median(rows, 3):.3f}, {int(median(rows, 4))}"
                       if rows else "n/a (tile program only)")
        print("| " + " | ".join(row) + " |", flush=True)
    model, flags = cpu_description()
    print(f"\nmedian of {args.runs} runs per cell (CPU time: user + system "
          f"of the process; phases: the JIT's wall time). Commands:")
    for cmd in commands:
        print("    " + shlex.join(cmd))
    print(f"CPU: {model} ({flags or 'no AVX-512'})")
    print(f"load before: {load_before}  after: {load_average()}")


if __name__ == "__main__":
    main()
