#!/usr/bin/env python3
"""Compares the GPU kernels of two attn-emit-lib builds over the whole zoo.

For every zoo/**/*.mlir and element type (f32, f16, bf16), both emitters
compile the spec at the first shape of scripts/gpu_resources.py's SHAPES it
accepts (sm_80 PTX; the tiles are the same as for sm_80,sm_90) and the
outputs (PTX, cubin, header, launcher, JSON) are compared byte for byte. It
checked that convert-attn-tile-to-gpu reproduces convert-attn-to-gpu:

    python3 scripts/gpu_kernel_equivalence.py OLD/attn-emit-lib NEW/attn-emit-lib

Prints one line per spec and type (same / DIFF / both refused / one refused)
and exits 1 on any difference. Specs run one at a time (the machines are
shared); the whole zoo takes about 20 minutes on one core.
"""
import filecmp
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from gpu_resources import SHAPES  # noqa: E402


def emit(emitter, spec, out, dtype):
    """The emitter's run on the first shape it accepts."""
    for shape in SHAPES:
        cmd = [emitter, str(spec), "--arch", "sm_80", "-o", out]
        if shape:
            cmd += ["--shape", shape]
        if dtype != "f32":
            cmd += ["--element-type", dtype]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode == 0:
            return run
    return run


def same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files,
                                           shallow=False)
    return not mismatch and not errors


def main():
    old, new = sys.argv[1:3]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in ("f32", "f16", "bf16"):
            for i, spec in enumerate(sorted((ROOT / "zoo").rglob("*.mlir"))):
                rel = spec.relative_to(ROOT)
                a, b = f"{tmp}/old{i}{dtype}", f"{tmp}/new{i}{dtype}"
                ra, rb = emit(old, spec, a, dtype), emit(new, spec, b, dtype)
                if ra.returncode and rb.returncode:
                    status = "both refused"
                elif ra.returncode or rb.returncode:
                    status = "one refused"
                    bad += 1
                    print((ra.stderr if ra.returncode else rb.stderr)[-400:],
                          file=sys.stderr)
                elif same_tree(a, b):
                    status = "same"
                else:
                    status = "DIFF"
                    bad += 1
                print(f"{dtype} {rel}: {status}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
