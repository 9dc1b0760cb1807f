#!/usr/bin/env python3
"""One shape-generic compilation against length-specialized kernels, and the
automatic split-KV form on decode shapes (issue 15's two measurements).

    python3 bench/shape_generic.py [--build build] [--spec zoo/basics/causal.mlir]
        [--lengths 1000,4097,16384] [--heads 4] [--dim 64] [--repeat 3]
        [--decode-queries 1,4,16] [--decode-keys 32768] [--threads 0]

1. Generic: one `attn-run SPEC --random 1 --shape ... --shape ...` through the
   tile program (the default lowering): the spec's dynamic extents stay
   dynamic, one compilation serves every length (`compile shared`).
   Specialized: per length, the same spec with every `?` of its tensor types
   replaced by that problem's extents (a static spec: the tile program then
   folds the lengths), one compilation each. Both at B1, H heads, N = Nq =
   Nk, D; best wall time of --repeat runs per length, in the same process
   order (generic first, then each specialized length), so a load change
   falls on both. Ratio generic / specialized: the issue asks within 1.1.
2. Decode: Nq queries against Nk keys (B1, H heads, D), the generic kernel
   with the automatic split (`--split-kv 0`: splits chosen at run time for
   about 64 work items) against no split (`--split-kv 1`).

Prints markdown tables, the commands, the CPU flags and the load average
before and after. Nothing is built.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

from benchlib import load_average, print_footer

RUN = re.compile(r"run ([0-9.e+-]+) s\s+path (.+?)\s+run-cpu ([0-9.e+-]+) s")
COMPILE = re.compile(r"^compile ([0-9.]+) s")


def attn_run(build, args, commands):
    cmd = [os.path.join(build, "bin", "attn-run")] + args
    commands.append(" ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    runs = [(float(m.group(1)), m.group(2), float(m.group(3)))
            for m in RUN.finditer(proc.stdout)]
    compiles = [float(m.group(1)) for line in proc.stdout.splitlines()
                if (m := COMPILE.match(line))]
    return runs, compiles


def specialized_spec(spec_text, b, h, n, d):
    """The spec with every dynamic 4-D tensor type made static."""
    return re.sub(r"tensor<\?x\?x\?x\?x(\w+)>",
                  lambda m: f"tensor<{b}x{h}x{n}x{d}x{m.group(1)}>", spec_text)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(root, "build"))
    p.add_argument("--spec", default=os.path.join(root, "zoo/basics/causal.mlir"))
    p.add_argument("--lengths", default="1000,4097,16384")
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--decode-queries", default="1,4,16")
    p.add_argument("--decode-keys", type=int, default=32768)
    args = p.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]
    h, d = args.heads, args.dim
    common = ["--random", "1", "--repeat", str(args.repeat),
              "--num-threads", str(args.threads)]
    commands = []
    before = load_average()

    shapes = [w for n in lengths for w in ("--shape", f"1,{h},{h},{n},{n},{d}")]
    generic, generic_compile = attn_run(args.build, [args.spec] + common + shapes,
                                        commands)
    spec_text = open(args.spec).read()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, (g_wall, g_path, _) in zip(lengths, generic):
            path = os.path.join(tmp, f"n{n}.mlir")
            with open(path, "w") as f:
                f.write(specialized_spec(spec_text, 1, h, n, d))
            runs, compiles = attn_run(args.build, [path] + common, commands)
            s_wall, s_path, _ = runs[0]
            rows.append((n, g_wall, s_wall, compiles[0] if compiles else float("nan"),
                         g_path, s_path))

    decode = []
    for nq in [int(x) for x in args.decode_queries.split(",")]:
        shape = ["--shape", f"1,{h},{h},{nq},{args.decode_keys},{d}"]
        auto, _ = attn_run(args.build, [args.spec] + common + shape +
                           ["--split-kv", "0", "--tile-q", str(max(nq, 1))], commands)
        none, _ = attn_run(args.build, [args.spec] + common + shape +
                           ["--split-kv", "1", "--tile-q", str(max(nq, 1))], commands)
        decode.append((nq, auto[0][0], none[0][0]))

    print(f"spec {os.path.relpath(args.spec, root)}, B1 H{h} D{d}, best of "
          f"{args.repeat}, threads {args.threads or 'all'}\n")
    print(f"one shape-generic compilation: {generic_compile[0]:.3f} s\n")
    print("| N | generic ms | specialized ms | generic / specialized | "
          "specialized compile s |")
    print("|---|---|---|---|---|")
    for n, g, s, c, gp, sp in rows:
        assert gp == sp == "tile program", (gp, sp)
        print(f"| {n} | {g * 1e3:.2f} | {s * 1e3:.2f} | {g / s:.3f} | {c:.3f} |")
    print(f"\ndecode: Nq queries against Nk = {args.decode_keys} keys\n")
    print("| Nq | split-kv auto ms | no split ms | no split / auto |")
    print("|---|---|---|---|")
    for nq, a, n in decode:
        print(f"| {nq} | {a * 1e3:.3f} | {n * 1e3:.3f} | {n / a:.2f}x |")
    print_footer(before, commands)


if __name__ == "__main__":
    main()
