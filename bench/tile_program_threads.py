#!/usr/bin/env python3
"""The tile program (attn-run --tile-program) on 1 and more threads.

    python3 bench/tile_program_threads.py [--build-dir build] [--threads 1,2]
                                          [--repeat 3]

Runs attn-run on two cases, each at every thread count:
  * causal prefill: B1 H8 N2048 D64 f32 (zoo/basics/causal.mlir), split-kv 1;
  * decode: one query against 32768 keys, H8 D64 f32, no mask, split-kv 8
    with a query tile of 1 (and split-kv 1, where the 8 heads are the only
    work items; and the default query tile of 32, 31 rows of padding);
and prints a markdown table (best wall time of --repeat runs, process CPU
time of that run, useful GFLOP/s over wall time, speed-up over one thread)
followed by the commands that produced it, the CPU and the load. Not a
timed test: nothing here is run by ctest.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DENSE_SPEC = """func.func @dense(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
"""
RUN = re.compile(r"run (?P<wall>[0-9.e+-]+) s .* run-cpu (?P<cpu>[0-9.e+-]+) s")


def cases(dense_spec):
    causal = os.path.join(ROOT, "zoo", "basics", "causal.mlir")
    n = 2048
    # (name, spec, B, H, Nq, Nk, D, tile-q, split-kv, kept fraction)
    return [
        ("causal prefill", causal, 1, 8, n, n, 64, 32, 1, (n + 1) / (2 * n)),
        ("decode", dense_spec, 1, 8, 1, 32768, 64, 1, 8, 1.0),
        ("decode", dense_spec, 1, 8, 1, 32768, 64, 1, 1, 1.0),
        ("decode", dense_spec, 1, 8, 1, 32768, 64, 32, 8, 1.0),
    ]


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    match = RUN.search(out)
    if not match:
        sys.exit("no timing in the output of " + " ".join(cmd) + ":\n" + out)
    return float(match["wall"]), float(match["cpu"])


def host():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return model, os.cpu_count(), load


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    attn_run = os.path.join(args.build_dir, "bin", "attn-run")
    threads = [int(t) for t in args.threads.split(",")]
    model, cpus, load_before = host()

    with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
        f.write(DENSE_SPEC)
        dense_spec = f.name
    rows, commands = [], []
    try:
        for name, spec, b, h, nq, nk, d, tq, split, density in cases(
                dense_spec):
            flops = 4 * b * h * nq * nk * d * density
            one = None
            for t in threads:
                cmd = [attn_run, spec, "--random", "0",
                       "--shape", f"{b},{h},{h},{nq},{nk},{d}",
                       "--tile-program", "--tile-q", str(tq),
                       "--split-kv", str(split),
                       "--num-threads", str(t), "--repeat", str(args.repeat)]
                commands.append(" ".join(cmd))
                wall, cpu = run(cmd)
                one = one or wall
                rows.append((name, b, h, nq, nk, d, tq, split, t, wall * 1e3,
                             cpu * 1e3, flops / wall / 1e9, one / wall))
    finally:
        os.unlink(dense_spec)

    print("| case | B | H | Nq | Nk | D | tile-q | split-kv | threads | ms "
          "| CPU ms | useful GFLOP/s | vs 1 thread |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d | %d | %d | %d | %d | %d | %d | %d | %.1f | %.1f "
              "| %.2f | %.2fx |" % r)
    print()
    print("Host: %s, %d CPUs; load average before / after: %s / %s."
          % (model, cpus, load_before, host()[2]))
    print()
    print("Commands (the spec of the decode rows is a dense f32 spec with "
          "dynamic shapes, written to a temporary file):")
    print()
    print("```sh")
    for c in commands:
        print(c.replace(ROOT + "/", ""))
    print("```")


if __name__ == "__main__":
    main()
