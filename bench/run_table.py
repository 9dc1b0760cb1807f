#!/usr/bin/env python3
"""Runs the benchmarks and prints the markdown tables of docs/performance.md.

    python3 bench/run_table.py [--build-dir build-bench] [--filter REGEX]
                               [--json-out results.json] [--from-json results.json]

Runs bin/fma_peak (the measured f32 FMA peak, one thread and all threads) and
bin/attention_bench (the default set, without the /H:2/ smoke benchmarks),
then prints:
  * the FMA peak and the machine load,
  * one table per mask: config, path, N, D, H, dtype, ms, useful and
    dense-equivalent GFLOP/s, % of the measured FMA peak (useful FLOPs; the
    one-thread peak for the tile_1t and untiled paths), speed-up vs the
    untiled baseline (same shape), ratio to "density x dense time" (same
    shape and path),
  * compile times of the zoo specs and the cached-kernel lookup,
  * the issue's targets, measured.
--from-json re-formats saved results (the JSON written by --json-out)
without running anything.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_FILTER = "-/H:2/"  # everything but the smoke set
NAME = re.compile(
    r"^attn/(?P<path>[a-z0-9_]+)/(?P<config>[a-z0-9]+)/(?P<dtype>[a-z0-9]+)"
    r"/N:(?P<n>\d+)/D:(?P<d>\d+)/H:(?P<h>\d+)")
CONFIG_ORDER = ["dense", "causal", "sw256", "sw1024", "nbhd2d"]
CONFIG_TEXT = {
    "dense": "dense, non-causal",
    "causal": "causal (`#attn.causal`)",
    "sw256": "causal sliding window 256 "
             "(`and<[causal, window<left = 255, right = 0>]>`)",
    "sw1024": "causal sliding window 1024 "
              "(`and<[causal, window<left = 1023, right = 0>]>`)",
    "nbhd2d": "2-D neighborhood "
              "(`neighborhood<grid = [-1, 64], kernel = [13, 13]>`)",
}
PATH_ORDER = ["tile", "tile_w8", "tile_bf16dot", "tile_1t", "tile_portable", "tile_int8",
              "tile_int8pv", "untiled"]


def to_ms(bench):
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[bench["time_unit"]]
    return bench["real_time"] * scale


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def run_json(cmd):
    """Runs a benchmark binary, progress on stderr, returns its JSON."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = tmp.name
    try:
        full = cmd + ["--benchmark_out=" + out, "--benchmark_out_format=json"]
        print("$ " + " ".join(shlex.quote(c) for c in full), file=sys.stderr)
        subprocess.run(full, check=True, stdout=sys.stderr)
        with open(out) as f:
            return json.load(f)
    finally:
        os.unlink(out)


def measure(args):
    bindir = os.path.join(args.build_dir, "bin")
    load_before = load_average()
    fma = run_json([os.path.join(bindir, "fma_peak")])
    attn = run_json([os.path.join(bindir, "attention_bench"),
                     "--benchmark_filter=" + args.filter] +
                    (["--benchmark_min_time=" + args.min_time]
                     if args.min_time else []))
    fma_after = run_json([os.path.join(bindir, "fma_peak")])
    return {"fma": fma, "fma_after": fma_after, "attention": attn,
            "load_before": load_before, "load_after": load_average(),
            "filter": args.filter, "min_time": args.min_time}


def fma_peaks(fma_json):
    """(one-thread, all-threads, thread count, per CPU-second) FLOP/s.

    The last one divides the FLOPs of the one-thread run by its CPU time: the
    peak of one core while it runs, whatever else the machine does.
    """
    one = allt = cpu = None
    threads = 1
    # The widest f32 FMA the host has is the peak of the kernels the JIT
    # builds for it (16 lanes with AVX-512F).
    names = [b["name"] for b in fma_json["benchmarks"]]
    widest = ("fma_peak/f32/avx512" if any(n.startswith("fma_peak/f32/avx512") for n in names)
              else "fma_peak/f32/avx2")
    for b in fma_json["benchmarks"]:
        if not b["name"].startswith(widest + "/"):
            continue
        m = re.search(r"threads:(\d+)", b["name"])
        t = int(m.group(1)) if m else 1
        if t == 1:
            one = b["flops"]
            cpu = b["flops"] * b["real_time"] / b["cpu_time"]
        if t >= threads:
            threads, allt = t, b["flops"]
    return one, allt, threads, cpu


def fmt(x, digits=1):
    if x is None:
        return "-"
    return f"{x:.{digits}f}"


def build_rows(data):
    rows = []
    for b in data["attention"]["benchmarks"]:
        m = NAME.match(b["name"])
        if not m or b.get("error_occurred"):
            continue
        r = m.groupdict()
        for k in ("n", "d", "h"):
            r[k] = int(r[k])
        r["ms"] = to_ms(b)
        r["cpu_ms"] = to_ms(dict(b, real_time=b["cpu_time"]))
        r["useful"] = b["useful"] / 1e9
        r["dense_eq"] = b["dense_eq"] / 1e9
        r["density"] = b["density"]
        r["compile_s"] = b.get("compile_s")
        rows.append(r)
    return rows


def key(r, **over):
    k = dict(r, **over)
    return (k["path"], k["config"], k["dtype"], k["n"], k["d"], k["h"])


def tables(data):
    one, allt, threads, cpu = fma_peaks(data["fma"])
    one_after, allt_after, _, cpu_after = fma_peaks(data["fma_after"])
    # The per-core peak: the better of the two measurements.
    cpu = max(cpu, cpu_after)
    rows = build_rows(data)
    index = {key(r): r for r in rows}
    ctx = data["attention"]["context"]
    out = []
    w = out.append
    w(f"Host: {ctx.get('num_cpus')} CPUs at {ctx.get('mhz_per_cpu')} MHz "
      f"(as reported), load average before / after the run: "
      f"{data['load_before']} / {data['load_after']}.")
    fctx = data["fma"]["context"]
    w(f"AVX-512F: {fctx.get('avx512f', '?')}, avx512_bf16: "
      f"{fctx.get('avx512_bf16', '?')}.")
    w("")
    wide = any(b["name"].startswith("fma_peak/f32/avx512") for b in data["fma"]["benchmarks"])
    w(f"Measured f32 FMA peak (bench/fma_peak, {'512' if wide else '256'}-bit FMAs): "
      f"**{one / 1e9:.1f} GFLOP/s on one thread, {allt / 1e9:.1f} GFLOP/s "
      f"on {threads} threads** (after the run: {one_after / 1e9:.1f} / "
      f"{allt_after / 1e9:.1f}); **{cpu / 1e9:.1f} GFLOP/s per core per "
      f"CPU-second** (FLOPs of the one-thread run over its CPU time).")
    for name, what in (("fma_peak/f32/avx2", "256-bit f32 FMAs (the 8-lane kernels)"),
                       ("fma_peak/bf16dot/avx512", "vdpbf16ps zmm (bf16 pairs)")):
        rates = {re.search(r"threads:(\d+)", b["name"]).group(1): b["flops"]
                 for b in data["fma"]["benchmarks"] if b["name"].startswith(name + "/")}
        if wide and rates:
            w(f"Peak of {what}: " + ", ".join(
                f"{v / 1e9:.1f} GFLOP/s on {t} thread{'s' if t != '1' else ''}"
                for t, v in sorted(rates.items())) + ".")
    w("")
    w("Columns: `ms` wall time per call; `CPU ms` CPU time of the whole "
      "process per call (all worker threads); GFLOP/s over wall time; "
      "`% peak (wall)` = useful GFLOP/s over the measured FMA peak of the "
      "threads used (all threads for tile, tile_w8 and tile_bf16dot, one for tile_1t "
      "and untiled); `% peak (CPU)` = useful FLOPs per CPU-second over the "
      "per-core peak (insensitive to time-slicing by other processes); "
      "`vs untiled` = untiled wall time / this wall time (same shape); "
      "`vs density x dense` = this wall time / (density x wall time of the "
      "dense kernel of the same path and shape).")
    w("")
    header = ("| config | path | N | D | H | dtype | ms | CPU ms | "
              "useful GFLOP/s | dense-eq GFLOP/s | % peak (wall) | "
              "% peak (CPU) | vs untiled | vs density x dense |")
    sep = "|" + "---|" * 14
    for config in CONFIG_ORDER:
        sel = [r for r in rows if r["config"] == config]
        if not sel:
            continue
        sel.sort(key=lambda r: (r["dtype"] != "f32", r["d"], r["h"], r["n"],
                                PATH_ORDER.index(r["path"])))
        density_note = ""
        dens = sorted({(r["n"], r["density"]) for r in sel})
        if config != "dense":
            density_note = " Density (kept fraction): " + ", ".join(
                f"N={n}: {d:.4f}" for n, d in dens) + "."
        w(f"### {CONFIG_TEXT[config]}")
        w("")
        if density_note:
            w(density_note.strip())
            w("")
        w(header)
        w(sep)
        for r in sel:
            peak = one if r["path"] in ("tile_1t", "untiled") else allt
            pct = 100 * r["useful"] * 1e9 / peak
            pct_cpu = (100 * r["useful"] * r["ms"] / r["cpu_ms"] * 1e9 / cpu)
            base = index.get(key(r, path="untiled"))
            speedup = (base["ms"] / r["ms"]
                       if base and r["path"] != "untiled" else None)
            dense = index.get(key(r, config="dense"))
            ratio = (r["ms"] / (r["density"] * dense["ms"])
                     if dense and config != "dense" else None)
            w(f"| {config} | {r['path']} | {r['n']} | {r['d']} | {r['h']} | "
              f"{r['dtype']} | {fmt(r['ms'], 2 if r['ms'] < 10 else 1)} | "
              f"{fmt(r['cpu_ms'], 2 if r['cpu_ms'] < 10 else 1)} | "
              f"{fmt(r['useful'])} | {fmt(r['dense_eq'])} | {fmt(pct)} | "
              f"{fmt(pct_cpu)} | "
              f"{fmt(speedup, 1) + 'x' if speedup else '-'} | "
              f"{fmt(ratio, 2) if ratio else '-'} |")
        w("")

    comp = [b for b in data["attention"]["benchmarks"]
            if b["name"].startswith(("compile/", "cache_hit/"))
            and not b.get("error_occurred")]
    if comp:
        w("### Compilation and the kernel cache")
        w("")
        w("| benchmark | wall time | CPU time (main thread) | "
          "of which pipeline + LLVM (compile_s, wall) |")
        w("|---|---|---|---|")

        def ms_text(t):
            return f"{t:.1f} ms" if t >= 1 else f"{t * 1e3:.2f} us"
        for b in comp:
            name = b["name"].replace("/real_time", "")
            cs = (f"{b['compile_s'] * 1e3:.1f} ms" if "compile_s" in b
                  else "-")
            w(f"| {name} | {ms_text(to_ms(b))} | "
              f"{ms_text(to_ms(dict(b, real_time=b['cpu_time'])))} | {cs} |")
        w("")

    w("### Targets")
    w("")
    w("| target | measured | met |")
    w("|---|---|---|")
    for line in targets(rows, index, comp, allt, cpu):
        w(line)
    w("")
    cmd = "python3 bench/run_table.py"
    build_dir = data.get("build_dir", os.path.join(ROOT, "build-bench"))
    if os.path.abspath(build_dir) != os.path.join(ROOT, "build-bench"):
        cmd += " --build-dir " + build_dir
    if data["filter"] != DEFAULT_FILTER:
        cmd += " --filter " + shlex.quote(data["filter"])
    if data.get("min_time"):
        cmd += " --min-time " + data["min_time"]
    w("Reproduce: `" + cmd + "` (after `ninja -C build-bench fma_peak "
      "attention_bench`).")
    return "\n".join(out)


def targets(rows, index, comp, peak, cpu_peak):
    lines = []

    def yes(b):
        return "yes" if b else "**no**"

    r = index.get(("tile", "dense", "f32", 4096, 128, 16))
    if r:
        pct = 100 * r["useful"] * 1e9 / peak
        pct_cpu = 100 * r["useful"] * r["ms"] / r["cpu_ms"] * 1e9 / cpu_peak
        lines.append(f"| dense f32 B=1 H=16 N=4096 D=128 >= 60% of FMA peak | "
                     f"{r['useful']:.1f} GFLOP/s = {pct:.1f}% of the "
                     f"all-thread peak (wall); {pct_cpu:.1f}% per CPU-second |"
                     f" {yes(max(pct, pct_cpu) >= 60)} |")
    for d, h in ((64, 8), (128, 16)):
        dn = index.get(("tile", "dense", "f32", 8192, d, h))
        ca = index.get(("tile", "causal", "f32", 8192, d, h))
        if dn and ca:
            s = dn["ms"] / ca["ms"]
            sc = dn["cpu_ms"] / ca["cpu_ms"]
            lines.append(f"| causal N=8192 >= 1.8x faster than non-causal "
                         f"(f32 D={d} H={h}) | {s:.2f}x wall, {sc:.2f}x CPU |"
                         f" {yes(s >= 1.8)} |")
    for r in rows:
        if (r["path"], r["config"], r["n"]) == ("tile", "sw1024", 16384):
            dn = index.get(key(r, config="dense"))
            if dn:
                q = r["ms"] / (r["density"] * dn["ms"])
                qc = r["cpu_ms"] / (r["density"] * dn["cpu_ms"])
                lines.append(
                    f"| sliding window 1024 N=16384 within 1.2x of density x "
                    f"dense ({r['dtype']} D={r['d']} H={r['h']}) | "
                    f"{q:.2f}x wall, {qc:.2f}x CPU | {yes(q <= 1.2)} |")
    ratios, cratios = [], []
    for r in rows:
        if r["dtype"] == "bf16" and r["path"] == "tile":
            f = index.get(key(r, dtype="f32"))
            if f:
                ratios.append(f["ms"] / r["ms"])
                cratios.append(f["cpu_ms"] / r["cpu_ms"])
    if ratios:
        import math

        def gmean(xs):
            return math.exp(sum(math.log(x) for x in xs) / len(xs))
        g, gc = gmean(ratios), gmean(cratios)
        lines.append(f"| bf16 >= 1.5x f32 throughput (tile, geometric mean "
                     f"over {len(ratios)} shapes; wall min {min(ratios):.2f}, "
                     f"max {max(ratios):.2f}) | {g:.2f}x wall, {gc:.2f}x CPU |"
                     f" {yes(g >= 1.5)} |")
    zoo = [b for b in comp if b["name"].startswith("compile/")]
    if zoo:
        worst = max(zoo, key=to_ms)
        t = to_ms(worst) / 1e3
        tc = worst["cpu_time"] * to_ms(worst) / worst["real_time"] / 1e3
        lines.append(f"| compiling a zoo spec < 0.5 s (slowest of {len(zoo)}: "
                     f"{worst['name'].replace('/real_time', '')}) | "
                     f"{t:.3f} s wall, {tc:.3f} s CPU | {yes(t < 0.5)} |")
    hit = [b for b in comp if b["name"].startswith("cache_hit/")]
    for b in hit:
        t = to_ms(b)
        lines.append(f"| cached kernel < 1 ms | {t * 1e3:.2f} us | "
                     f"{yes(t < 1)} |")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    p.add_argument("--filter", default=DEFAULT_FILTER,
                   help="attention_bench --benchmark_filter")
    p.add_argument("--min-time", default=None,
                   help="--benchmark_min_time (seconds)")
    p.add_argument("--json-out", help="save the raw results here")
    p.add_argument("--from-json", help="format saved results, run nothing")
    args = p.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            data = json.load(f)
    else:
        data = measure(args)
        data["build_dir"] = os.path.abspath(args.build_dir)
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump(data, f, indent=1)
    print(tables(data))


if __name__ == "__main__":
    main()
