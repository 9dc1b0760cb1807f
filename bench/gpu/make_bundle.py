#!/usr/bin/env python3
"""Builds the bundle that bench/gpu/run_gpu_check.py runs on a GPU machine.

The GPU machine has the CUDA toolkit and PyTorch but not LLVM/MLIR, so
everything that needs attn-opt happens here:

  python3 bench/gpu/make_bundle.py [--bin build/bin] [-o .gpu-bundle]

writes, per case, the library attn-emit-lib emits (PTX, cubin, header,
launcher, NAME.json) and, for correctness cases, the random inputs
attn-run draws (--random SEED --dump-inputs) with the float64 reference's
output and logsumexp (attn-run --reference; written in the output's
element type, the lse in f32). The launchers travel gzipped (NAME.c.gz).
Cases:

  check  every zoo spec in f32 (SIMT kernel) and bf16 (tensor cores), and
         every fourth one in f16, at B=1 Hq=4 Hkv=2 Nq=130 Nk=200 D=64 (key
         and query tiles both partial; Hkv=4 or the spec's default size
         where the spec needs it); edge shapes for a few specs (one query,
         one key, tiny head dims).
  perf   a few specs at sizes that fill an H100/H200, without inputs: the
         harness draws them on the device and checks the causal ones
         against a float64 PyTorch reference there.

bundle/cases.json lists the cases. Run it there with
  python3 bench/gpu/run_gpu_check.py .gpu-bundle --out OUTDIR
"""
import argparse
import concurrent.futures
import gzip
import json
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK_SHAPES = ["1,4,2,130,200,64", "1,4,4,130,200,64", None]
# (spec, dtype, shape): awkward sizes on the paths most users take.
EDGE_CASES = [
    ("basics/causal.mlir", "f32", "2,4,2,1,77,64"),      # one query
    ("basics/causal.mlir", "bf16", "2,4,2,1,77,64"),
    ("basics/causal.mlir", "bf16", "1,2,2,65,1,64"),     # one key
    ("basics/causal.mlir", "f32", "1,3,1,300,300,128"),  # MQA, D=128
    ("basics/causal.mlir", "bf16", "1,3,1,300,300,128"),
    ("basics/causal.mlir", "f16", "1,3,1,300,300,128"),
    ("basics/sliding_window.mlir", "f32", "2,2,2,257,257,32"),
    ("basics/sliding_window.mlir", "bf16", "2,2,2,257,257,32"),
    ("basics/streaming_llm.mlir", "bf16", "1,4,2,190,190,80"),
    ("hybrids/gemma2.mlir", "bf16", "1,4,2,333,333,128"),
    ("basics/alibi.mlir", "f32", "1,4,4,97,33,16"),
]
# Configurations timed with --sweep (attn-emit-lib flags) on causal bf16
# attention (tensor cores) with D=128 and D=64.
SWEEP_SHAPES = [("bf16", "4,16,16,2048,2048,128"), ("bf16", "2,16,16,4096,4096,64")]
SWEEP_FLAGS = [
    ["--register-softmax=false"],  # S and P in shared memory (session 4)
    ["--accumulator-fragments=false"],  # O in shared memory
    ["--tile-q=64", "--tile-kv=64"],  # not a default candidate; retime
    ["--tile-q=64", "--tile-kv=64", "--async-copies=false"],
    ["--tile-q=64", "--tile-kv=32"],
    ["--tile-q=32", "--tile-kv=64"],
    ["--tile-q=128", "--tile-kv=64", "--block-threads=256",
     "--max-shared-bytes=232448"],
    ["--tile-q=128", "--tile-kv=32", "--block-threads=256",
     "--max-shared-bytes=232448"],
    ["--tile-q=64", "--tile-kv=64", "--block-threads=256"],
]
# Timed cases: inputs drawn on the device. Only specs whose buffers are
# Q, K, V, out (and lse) qualify.
PERF_CASES = [
    ("basics/causal.mlir", "bf16", "4,16,16,2048,2048,128"),
    ("basics/causal.mlir", "f16", "4,16,16,2048,2048,128"),
    ("basics/causal.mlir", "bf16", "2,16,16,4096,4096,64"),
    ("basics/causal.mlir", "bf16", "4,32,8,2048,2048,128"),
    ("basics/causal.mlir", "f32", "4,16,16,2048,2048,128"),
    ("basics/causal.mlir", "f32", "2,16,16,4096,4096,64"),
    ("basics/sliding_window.mlir", "bf16", "4,16,16,4096,4096,128"),
    ("hybrids/gemma2.mlir", "bf16", "4,16,8,4096,4096,128"),
]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def emit(binary, spec, dtype, shape, out, flags=()):
    cmd = [str(binary / "attn-emit-lib"), str(spec), "--arch", "sm_90",
           "-o", str(out), *flags]
    if shape:
        cmd += ["--shape", shape]
    if dtype != "f32":
        cmd += ["--element-type", dtype]
    return run(cmd)


def make_case(binary, bundle, kind, spec_rel, dtype, shapes, seed, flags=()):
    """Emits the library and (for check cases) the inputs and reference."""
    spec = ROOT / "zoo" / spec_rel
    name = pathlib.Path(spec_rel).stem
    log = ""
    for shape in shapes:
        tag = f"{name}.{dtype}.{shape.replace(',', 'x') if shape else 'default'}"
        if flags:
            tag += "." + "_".join(f.lstrip("-").replace("=", "").replace(
                "tile-q", "q").replace("tile-kv", "kv").replace(
                "block-threads", "t").replace("max-shared-bytes", "smem")
                for f in flags)
        out = bundle / "cases" / tag
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        rc, text = emit(binary, spec, dtype, shape, out, flags)
        log += text
        if rc == 0:
            break
        shutil.rmtree(out)
    else:
        return {"case": f"{name}.{dtype}", "kind": kind, "error": log[-2000:]}
    manifests = list(out.glob("*.json"))
    if len(manifests) != 1:
        return {"case": tag, "kind": kind,
                "error": f"expected one kernel, got {len(manifests)}"}
    manifest = json.loads(manifests[0].read_text())
    native = manifest["buffers"][0]["element_type"]
    if native != dtype:
        # A 16-bit spec compiled as written: name the case by its type.
        renamed = out.parent / tag.replace(".f32.", f".{native}.", 1)
        shutil.rmtree(renamed, ignore_errors=True)
        out.rename(renamed)
        out, tag, dtype = renamed, renamed.name, native
    p = manifest["problem"]
    size = ",".join(str(p[x]) for x in ("b", "hq", "hkv", "nq", "nk", "d", "dv"))
    # The launcher embeds the PTX as hex bytes: the PTX and cubin files are
    # not needed there, and the launcher travels gzipped (the device call
    # carries at most 64 MiB).
    for f in list(out.glob("*.ptx")) + list(out.glob("*.cubin")):
        f.unlink()
    source = out / manifest["source"]
    with open(source, "rb") as src, gzip.open(str(source) + ".gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    source.unlink()
    case = {"case": tag, "kind": kind, "spec": spec_rel, "dtype": dtype,
            "dir": f"cases/{tag}", "manifest": manifests[0].name,
            "shape": size, "flags": list(flags)}
    if kind != "check":
        return case
    cmd = [str(binary / "attn-run"), str(spec), "--random", str(seed),
           "--shape", size, "--dump-inputs", str(out / "in."),
           "--reference", "-o", str(out / "ref.out.npy")]
    if dtype != "f32":
        cmd += ["--element-type", dtype]
    if any(b["role"] == "lse" for b in manifest["buffers"]):
        cmd += ["--lse-out", str(out / "ref.lse.npy")]
    rc, text = run(cmd)
    if rc != 0:
        return {**case, "error": text[-2000:]}
    # Input files by launch buffer: attn-run names them by spec argument,
    # the manifest by C identifier of that name, in the same order.
    dumped = {f.name[3:-4]: f.name for f in out.glob("in.*.npy")}
    inputs = {}
    for buf in manifest["buffers"]:
        if buf["output"]:
            continue
        match = [f for arg, f in dumped.items()
                 if "".join(c if c.isalnum() else "_" for c in arg)
                 == buf["name"]]
        if len(match) != 1:
            return {**case, "error": f"no input file for {buf['name']}"}
        inputs[buf["name"]] = match[0]
    case["inputs"] = inputs
    case["seed"] = seed
    return case


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=str(ROOT / "build" / "bin"))
    ap.add_argument("-o", "--out", default=str(ROOT / ".gpu-bundle"))
    ap.add_argument("--only", help="comma-separated spec stems (debugging)")
    ap.add_argument("--sweep", action="store_true",
                    help="also time the tile configurations of SWEEP_FLAGS")
    ap.add_argument("--perf-only", action="store_true",
                    help="only the timed cases (no inputs: a small bundle)")
    args = ap.parse_args()
    binary = pathlib.Path(args.bin)
    bundle = pathlib.Path(args.out)
    shutil.rmtree(bundle / "cases", ignore_errors=True)
    bundle.mkdir(parents=True, exist_ok=True)

    specs = sorted(p.relative_to(ROOT / "zoo").as_posix()
                   for p in (ROOT / "zoo").rglob("*.mlir"))
    if args.only:
        keep = set(args.only.split(","))
        specs = [s for s in specs if pathlib.Path(s).stem in keep]
    jobs = []
    for i, spec in enumerate([] if args.perf_only else specs):
        # A spec written for 16-bit inputs runs as written only (its "f32"
        # job is renamed to its type); f32 specs are also retyped.
        text = (ROOT / "zoo" / spec).read_text()
        signature = text[text.index("func.func"):]
        signature = signature[:signature.index("{")]
        retyped = [] if "xf32>" not in signature else (
            ["bf16"] + (["f16"] if i % 4 == 0 else []))
        for dtype in ["f32"] + retyped:
            jobs.append(("check", spec, dtype, CHECK_SHAPES, 1000 + i))
    if not args.only:
        for j, (spec, dtype, shape) in enumerate(
                [] if args.perf_only else EDGE_CASES):
            jobs.append(("check", spec, dtype, [shape], 2000 + j))
        for spec, dtype, shape in PERF_CASES:
            jobs.append(("perf", spec, dtype, [shape], 0))
        if args.sweep:
            for dtype, shape in SWEEP_SHAPES:
                for flags in SWEEP_FLAGS:
                    jobs.append(("perf", "basics/causal.mlir", dtype, [shape],
                                 0, flags))
    cases = []
    (bundle / "cases").mkdir(exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        futures = [pool.submit(make_case, binary, bundle, *job) for job in jobs]
        for f in futures:
            c = f.result()
            if c is None:
                continue
            cases.append(c)
            print(("FAILED " if "error" in c else "ok     ") + c["case"],
                  flush=True)
            if "error" in c:
                print(c["error"], file=sys.stderr)
    (bundle / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")
    failed = sum("error" in c for c in cases)
    size = sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file())
    print(f"{len(cases)} cases, {failed} failed to build, {size / 2**20:.1f} MiB"
          f" in {bundle}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
