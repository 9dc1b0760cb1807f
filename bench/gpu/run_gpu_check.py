#!/usr/bin/env python3
"""Runs the libraries of a bench/gpu/make_bundle.py bundle on a GPU.

  python3 bench/gpu/run_gpu_check.py BUNDLE --out DIR [--jobs 4]

Needs a CUDA device, a C compiler, cuda.h and PyTorch (buffers, events and
the baselines); not LLVM or MLIR. For every case it compiles the emitted
launcher NAME.c into a shared library (cc -O2 -Wall -Werror), loads it with
ctypes and calls attn_NAME_launch on device buffers:

  check cases  the inputs attn-run drew; outputs poisoned with NaN first;
               the relative Frobenius error of the output and the lse
               against the float64 reference (tolerance 1e-5 f32, 1e-2
               f16/bf16, as attn-run --check), unwritten or non-finite
               elements counted; a second launch must give the same bits
               (a moving result is a race).
  perf cases   N(0,1) inputs drawn on the device; causal ones are checked
               against a float64 PyTorch reference; the kernel is timed
               with CUDA events (median of --reps after warm-up) next to
               torch.nn.functional.scaled_dot_product_attention on the same
               problem (causal only).

A kernel that faults leaves its CUDA context unusable, and one that hangs
never returns: cases run in worker processes that a supervisor restarts
after the case in flight, which is reported as crashed or timed out.
Results: DIR/results.jsonl (one JSON object per case) and DIR/summary.md.
"""
import argparse
import concurrent.futures
import ctypes
import gzip
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys
import time

TOL = {"f32": 1e-5, "f16": 1e-2, "bf16": 1e-2}


# --------------------------------------------------------------------------
# Building the launchers
# --------------------------------------------------------------------------

def cuda_include():
    for root in [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"),
                 "/usr/local/cuda"]:
        if root and (pathlib.Path(root) / "include" / "cuda.h").exists():
            return str(pathlib.Path(root) / "include")
    try:  # the nvidia-cuda-runtime wheel, when no toolkit is installed
        import nvidia.cuda_runtime
        p = pathlib.Path(nvidia.cuda_runtime.__path__[0]) / "include"
        if (p / "cuda.h").exists():
            return str(p)
    except ImportError:
        pass
    sys.exit("run_gpu_check: cuda.h not found (set CUDA_HOME)")


def build_one(case, bundle, build_dir, include):
    d = bundle / case["dir"]
    manifest = json.loads((d / case["manifest"]).read_text())
    so = build_dir / (case["case"] + ".so")
    source = d / manifest["source"]
    if not source.exists():  # make_bundle.py gzips the launchers
        source = build_dir / (case["case"] + ".c")
        with gzip.open(d / (manifest["source"] + ".gz"), "rb") as src, \
                open(source, "wb") as dst:
            shutil.copyfileobj(src, dst)
    # Symbols of libcuda resolve against the driver library the harness
    # loads with RTLD_GLOBAL, so no stub is needed at link time.
    cmd = [os.environ.get("CC", "cc"), "-O2", "-Wall", "-Werror", "-shared",
           "-fPIC", "-I", include, "-I", str(d), str(source), "-o", str(so)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return case["case"], (str(so) if r.returncode == 0 else None), r.stderr


# --------------------------------------------------------------------------
# The worker: runs cases in one CUDA context
# --------------------------------------------------------------------------

class Worker:
    def __init__(self, args):
        import numpy as np
        import torch
        self.np, self.torch, self.args = np, torch, args
        ctypes.CDLL("libcuda.so.1", mode=ctypes.RTLD_GLOBAL)
        torch.cuda.init()
        torch.zeros(1, device="cuda")  # makes the primary context current
        self.dtypes = {"f32": torch.float32, "f16": torch.float16,
                       "bf16": torch.bfloat16, "f64": torch.float64,
                       "i64": torch.int64, "index": torch.int64,
                       "i32": torch.int32, "i8": torch.int8, "i1": torch.bool}

    def load_library(self, so, manifest):
        lib = ctypes.CDLL(so)
        raw = getattr(lib, manifest["launch"])
        # Split-KV specs take a workspace (device memory the kernels pass
        # between them) before the stream.
        workspace_bytes = manifest.get("workspace_bytes", 0)
        raw.argtypes = [ctypes.c_uint64] * (
            len(manifest["buffers"]) + (1 if workspace_bytes else 0)) + [
                ctypes.c_void_p]
        raw.restype = ctypes.c_int
        launch = raw
        if workspace_bytes:
            workspace = self.torch.empty(workspace_bytes,
                                         dtype=self.torch.uint8, device="cuda")

            def launch(*args):  # buffers..., stream
                return raw(*args[:-1], workspace.data_ptr(), args[-1])
        last_error = getattr(lib, manifest["last_error"])
        last_error.restype = ctypes.c_char_p
        return lib, launch, last_error

    def to_device(self, array, element_type):
        np, torch = self.np, self.torch
        if element_type == "bf16":  # attn-run writes bf16 as uint16
            t = torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.ascontiguousarray(array))
            t = t.to(self.dtypes[element_type])
        return t.cuda()

    def to_f64(self, array, element_type):
        np = self.np
        if element_type == "bf16" and array.dtype == np.uint16:
            array = (array.astype(np.uint32) << 16).view(np.float32)
        return array.astype(np.float64)

    def launch(self, launch, last_error, tensors):
        rc = launch(*[t.data_ptr() for t in tensors], None)
        if rc != 0:
            raise RuntimeError(f"launch returned {rc}: "
                               f"{last_error().decode(errors='replace')}")
        self.torch.cuda.synchronize()  # raises on a fault in the kernel

    def poisoned_outputs(self, manifest):
        torch = self.torch
        return [torch.full(b["shape"], float("nan"),
                           dtype=self.dtypes[b["element_type"]], device="cuda")
                for b in manifest["buffers"] if b["output"]]

    def compare(self, got, ref):
        """Relative Frobenius error over the finite reference entries, and
        how many entries disagree on non-finiteness (unwritten NaN poison
        among them)."""
        np = self.np
        finite = np.isfinite(ref)
        mismatched = int(np.sum(finite != np.isfinite(got)) +
                         np.sum(~finite & (got != ref)))
        diff = np.where(finite, got - ref, 0.0)
        norm = np.linalg.norm(np.where(finite, ref, 0.0))
        err = float(np.linalg.norm(diff) / norm) if norm > 0 else float(
            np.linalg.norm(diff))
        return err, mismatched

    def check_case(self, case, so):
        np = self.np
        d = pathlib.Path(self.args.bundle) / case["dir"]
        manifest = json.loads((d / case["manifest"]).read_text())
        lib, launch, last_error = self.load_library(so, manifest)
        inputs = []
        for b in manifest["buffers"]:
            if b["output"]:
                continue
            array = np.load(d / case["inputs"][b["name"]])
            if list(array.shape) != b["shape"]:
                raise RuntimeError(f"{b['name']}: file shape {array.shape}, "
                                   f"manifest {b['shape']}")
            inputs.append(self.to_device(array, b["element_type"]))
        outs = self.poisoned_outputs(manifest)
        self.launch(launch, last_error, inputs + outs)
        first = [o.clone() for o in outs]
        outs2 = self.poisoned_outputs(manifest)
        self.launch(launch, last_error, inputs + outs2)
        deterministic = all(self.torch.equal(a.view(self.torch.uint8),
                                             b.view(self.torch.uint8))
                            for a, b in zip(first, outs2))
        result = {"deterministic": deterministic,
                  "kernel": ("tensor cores" + (", softmax in registers"
                                              if manifest.get("register_softmax")
                                              else "")
                             if manifest["tensor_cores"] else "SIMT"),
                  "config": "{}x{} T={}".format(manifest["tile_q"],
                                                manifest["tile_kv"],
                                                manifest["block"][0])}
        out_bufs = [b for b in manifest["buffers"] if b["output"]]
        ok = deterministic
        for buf, t in zip(out_bufs, first):
            ref_file = d / ("ref.out.npy" if buf["role"] == "output"
                            else "ref.lse.npy")
            ref = self.to_f64(np.load(ref_file), buf["element_type"])
            got = t.double().cpu().numpy()
            err, bad = self.compare(got, ref)
            tol = TOL.get(buf["element_type"], 1e-5)
            result[buf["role"]] = {"rel_err": err, "mismatched": bad,
                                   "tol": tol}
            ok &= err <= tol and bad == 0
        result["passed"] = bool(ok)
        return result

    # --- perf --------------------------------------------------------------

    def sdpa_args(self, q, k, v):
        hq, hkv = q.shape[1], k.shape[1]
        if hq != hkv:
            k = k.repeat_interleave(hq // hkv, dim=1)
            v = v.repeat_interleave(hq // hkv, dim=1)
        return q, k, v

    def time_ms(self, fn):
        torch = self.torch
        for _ in range(self.args.warmup):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(self.args.reps):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(
                enable_timing=True)
            s.record()
            fn()
            e.record()
            e.synchronize()
            times.append(s.elapsed_time(e))
        times.sort()
        return times[len(times) // 2], times[0]

    def perf_case(self, case, so):
        torch = self.torch
        d = pathlib.Path(self.args.bundle) / case["dir"]
        manifest = json.loads((d / case["manifest"]).read_text())
        lib, launch, last_error = self.load_library(so, manifest)
        gen = torch.Generator(device="cuda").manual_seed(1234)
        inputs = []
        for b in manifest["buffers"]:
            if b["output"]:
                continue
            if b["role"] not in ("query", "key", "value"):
                raise RuntimeError(f"perf case with a {b['role']} operand")
            inputs.append(torch.randn(b["shape"], generator=gen, device="cuda",
                                      dtype=self.dtypes[b["element_type"]]))
        outs = self.poisoned_outputs(manifest)
        tensors = inputs + outs
        self.launch(launch, last_error, tensors)
        p = manifest["problem"]
        causal = case["spec"] == "basics/causal.mlir"
        result = {"problem": p, "config": "{}x{} T={} {} KiB {}".format(
            manifest["tile_q"], manifest["tile_kv"], manifest["block"][0],
            manifest["dynamic_shared_bytes"] // 1024,
            "async" if manifest["async_copies"] else "sync")}
        if causal:
            q, k, v = self.sdpa_args(*[t.double() for t in inputs])
            ref = torch.nn.functional.scaled_dot_product_attention(
                q, k, v, is_causal=True)
            out = outs[0].double()
            err = (torch.linalg.vector_norm(out - ref) /
                   torch.linalg.vector_norm(ref)).item()
            tol = TOL[manifest["buffers"][0]["element_type"]]
            # f32 kernels use ex2.approx and a different summation order than
            # the reference: allow 1e-5 relative like attn-run, checked.
            result["check"] = {"rel_err": err, "tol": tol,
                               "unwritten": int(torch.isnan(out).sum())}
            result["passed"] = err <= tol and result["check"]["unwritten"] == 0
            del q, k, v, ref, out
        rc_fn = lambda: launch(*[t.data_ptr() for t in tensors], None)
        med, best = self.time_ms(rc_fn)
        # Work: 4 D flops per (query, visible key) pair and head (QK^T and PV).
        visible = (p["nq"] * (p["nq"] + 1) // 2 if causal and p["nq"] == p["nk"]
                   else p["nq"] * p["nk"])
        flops = 2.0 * p["b"] * p["hq"] * visible * (p["d"] + p["dv"])
        result["attn_ms"], result["attn_best_ms"] = med, best
        result["flops"] = flops
        result["attn_tflops"] = flops / med / 1e9
        if causal:
            q, k, v = self.sdpa_args(*inputs)
            fn = lambda: torch.nn.functional.scaled_dot_product_attention(
                q, k, v, is_causal=True)
            try:
                med_t, _ = self.time_ms(fn)
                result["torch_ms"] = med_t
                result["torch_tflops"] = flops / med_t / 1e9
            except RuntimeError as e:
                result["torch_error"] = str(e)[:200]
        else:
            result["dense_equivalent"] = True
        return result


def worker_main(args):
    cases = json.loads(pathlib.Path(args.worker_cases).read_text())
    w = Worker(args)
    with open(args.worker_results, "a") as out:
        for case, so in cases:
            print(f"START {case['case']}", flush=True)
            t0 = time.time()
            sticky = False
            try:
                if case["kind"] == "check":
                    r = w.check_case(case, so)
                else:
                    r = w.perf_case(case, so)
            except Exception as e:  # a launch error, a fault, a bad file
                r = {"passed": False, "error": f"{type(e).__name__}: {e}"}
                sticky = "CUDA" in str(e) or "cuda" in str(e)
            out.write(json.dumps({"case": case["case"], "kind": case["kind"],
                                  "seconds": time.time() - t0, **r}) + "\n")
            out.flush()
            if sticky:
                return 3  # the context may be unusable: restart after it
    return 0


# --------------------------------------------------------------------------
# The supervisor
# --------------------------------------------------------------------------

def read_done(path):
    if not path.exists():
        return set()
    return {json.loads(l)["case"] for l in path.read_text().splitlines()
            if l.strip()}


def supervise(queue, args, results_path, tag, max_restarts=30):
    """Runs `queue` (case, so) in worker processes, restarting after a case
    that crashed or hung: the case in flight is reported as failed."""
    import queue as queue_mod
    import threading
    out_dir = pathlib.Path(args.out)
    log = open(out_dir / f"worker.{tag}.log", "a")
    for _ in range(max_restarts):
        done = read_done(results_path)
        queue = [(c, so) for c, so in queue if c["case"] not in done]
        if not queue:
            break
        cases_file = out_dir / f"queue.{tag}.json"
        cases_file.write_text(json.dumps(queue))
        proc = subprocess.Popen(
            [sys.executable, __file__, args.bundle, "--out", args.out,
             "--worker-cases", str(cases_file), "--worker-results",
             str(results_path), "--reps", str(args.reps), "--warmup",
             str(args.warmup)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = queue_mod.Queue()
        reader = threading.Thread(
            target=lambda: [lines.put(l) for l in proc.stdout], daemon=True)
        reader.start()
        current, last, tail, hung = None, time.time(), [], False
        while True:
            try:
                line = lines.get(timeout=0.5)
            except queue_mod.Empty:
                if proc.poll() is not None and not reader.is_alive():
                    break
                if time.time() - last > args.case_timeout:
                    hung = True
                    proc.kill()
                    proc.wait()
                    break
                continue
            log.write(line)
            log.flush()
            tail = (tail + [line])[-20:]
            if line.startswith("START "):
                current, last = line.split()[1], time.time()
        proc.wait()
        if proc.returncode == 0:
            break
        if current is None:  # died before its first case: do not loop
            with open(results_path, "a") as f:
                for c, _ in queue:
                    f.write(json.dumps({"case": c["case"], "passed": False,
                                        "error": "worker failed to start: " +
                                        "".join(tail)[-500:]}) + "\n")
            break
        if current not in read_done(results_path):
            why = (f"timed out after {args.case_timeout:.0f} s" if hung else
                   f"worker exited with {proc.returncode}")
            with open(results_path, "a") as f:
                f.write(json.dumps({"case": current, "passed": False,
                                    "error": why + ": " +
                                    "".join(tail)[-500:]}) + "\n")
    log.close()


def summary(cases, results):
    by = {r["case"]: r for r in results}
    lines = ["## Correctness (emitted library vs. float64 reference)", "",
             "| case | kernel | output rel. err | lse rel. err | result |",
             "| --- | --- | --- | --- | --- |"]
    passed = failed = 0
    for c in cases:
        if c.get("kind") != "check":
            continue
        r = by.get(c["case"], {"error": c.get("error", "not run")})
        out, lse = r.get("output", {}), r.get("lse", {})
        ok = r.get("passed", False)
        passed += ok
        failed += not ok
        status = "pass" if ok else "FAIL " + r.get("error", "")[-160:].replace(
            "|", "/").replace("\n", " ")
        if not r.get("deterministic", True):
            status += " (nondeterministic)"
        if out.get("mismatched") or lse.get("mismatched"):
            status += f" ({out.get('mismatched', 0) + lse.get('mismatched', 0)}"\
                      " non-finite mismatches)"
        kernel = f"{r.get('kernel', '?')} {r.get('config', '')}"
        fmt = lambda x: f"{x['rel_err']:.1e}" if "rel_err" in x else "-"
        lines.append(f"| {c['case']} | {kernel} | {fmt(out)} | {fmt(lse)} | "
                     f"{status} |")
    lines += ["", f"{passed} passed, {failed} failed", "",
              "## Throughput", "",
              "| case | tiles, threads, shared, K/V copies | ms (median) | TFLOP/s |"
              " torch SDPA ms | torch TFLOP/s | check |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for c in cases:
        if c.get("kind") != "perf":
            continue
        r = by.get(c["case"], {"error": c.get("error", "not run")})
        if "attn_ms" not in r:
            err = r.get("error", "")[-160:].replace("|", "/").replace("\n", " ")
            lines.append(f"| {c['case']} | - | - | - | - | - | FAIL {err} |")
            continue
        chk = r.get("check")
        chk_text = (f"rel. err {chk['rel_err']:.1e} "
                    f"{'pass' if r.get('passed') else 'FAIL'}" if chk
                    else "checked at small sizes only; dense-equivalent TFLOP/s")
        torch_ms = f"{r['torch_ms']:.3f}" if "torch_ms" in r else "-"
        torch_tf = f"{r['torch_tflops']:.1f}" if "torch_tflops" in r else "-"
        lines.append(f"| {c['case']} | {r.get('config', '')} | {r['attn_ms']:.3f} | "
                     f"{r['attn_tflops']:.1f} | {torch_ms} | {torch_tf} | "
                     f"{chk_text} |")
    return "\n".join(lines) + "\n", failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bundle")
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=4,
                    help="worker processes for the check cases")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--case-timeout", type=float, default=30)
    ap.add_argument("--only", help="comma-separated case-name prefixes")
    ap.add_argument("--worker-cases", help=argparse.SUPPRESS)
    ap.add_argument("--worker-results", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker_cases:
        return worker_main(args)

    bundle, out = pathlib.Path(args.bundle), pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    build_dir = out / "lib"
    build_dir.mkdir(exist_ok=True)
    for old in out.glob("results*.jsonl"):
        old.unlink()
    results_path = out / "results.jsonl"
    cases = json.loads((bundle / "cases.json").read_text())
    if args.only:
        prefixes = args.only.split(",")
        cases = [c for c in cases if any(c["case"].startswith(p)
                                         for p in prefixes)]
    runnable = [c for c in cases if "error" not in c]
    include = cuda_include()
    t0 = time.time()
    built = {}
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 4) as pool:
        for name, so, err in pool.map(
                lambda c: build_one(c, bundle, build_dir, include), runnable):
            built[name] = so
            if not so:
                with open(results_path, "a") as f:
                    f.write(json.dumps({"case": name, "passed": False,
                                        "error": "launcher did not compile: "
                                        + err[-500:]}) + "\n")
    print(f"built {sum(1 for s in built.values() if s)} launchers in "
          f"{time.time() - t0:.1f} s", flush=True)

    checks = [(c, built[c["case"]]) for c in runnable
              if c["kind"] == "check" and built.get(c["case"])]
    perfs = [(c, built[c["case"]]) for c in runnable
             if c["kind"] == "perf" and built.get(c["case"])]
    t0 = time.time()
    n = max(1, min(args.jobs, len(checks)))
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        for f in [pool.submit(supervise, checks[i::n], args,
                              out / f"results.check{i}.jsonl", f"check{i}")
                  for i in range(n)]:
            f.result()
    print(f"check cases: {time.time() - t0:.1f} s", flush=True)
    t0 = time.time()
    supervise(perfs, args, out / "results.perf.jsonl", "perf")  # alone: timed
    print(f"perf cases: {time.time() - t0:.1f} s", flush=True)

    results = []
    for p in sorted(out.glob("results*.jsonl")):
        results += [json.loads(l) for l in p.read_text().splitlines()
                    if l.strip()]
    with open(results_path, "w") as f:
        for r in results:
            f.write(json.dumps(r) + "\n")
    text, failed = summary(cases, results)
    (out / "summary.md").write_text(text)
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
