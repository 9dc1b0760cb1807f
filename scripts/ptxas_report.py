#!/usr/bin/env python3
"""ptxas -v of every kernel in `attn-opt --attn-gpu-ptx` output.

Reads the printed module (stdin or a file), takes the PTX assembly of each
gpu.binary (format=isa), assembles it with ptxas for the binary's chip and
prints one line per kernel (entry function):

    KERNEL sm_80: registers R, spill stores S B, spill loads L B, stack K B

For the PTX of attn-opt's pipelines, which attn-emit-lib --resource-usage
reports for one function at a time (test/Target/PTX/selection.mlir checks
every kernel of several functions). Exits 1 without ptxas or kernels.

    attn-opt spec.mlir --attn-gpu-ptx=chip=sm_80 | scripts/ptxas_report.py
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

BINARY = re.compile(r'gpu\.binary @(\w+)\s*\[#gpu\.object<#nvvm\.target<[^>]*'
                    r'chip = "(sm_\w+)"[^>]*>.*?assembly = "((?:[^"\\]|\\.)*)"',
                    re.S)
ENTRY = re.compile(r"Compiling entry function '(\w+)'")
USAGE = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, "
                   r"(\d+) bytes spill loads.*?Used (\d+) registers", re.S)


def unescape(s):
    """MLIR string escapes: \\\\, \\", and \\XX hex bytes."""
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "\\":
            nxt = s[i + 1]
            if nxt in '\\"':
                out.append(ord(nxt))
                i += 2
                continue
            out.append(int(s[i + 1:i + 3], 16))
            i += 3
            continue
        out += s[i].encode()
        i += 1
    return out.decode()


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    ptxas = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"
    if not os.path.exists(ptxas):
        sys.exit("ptxas not found")
    kernels = BINARY.findall(text)
    if not kernels:
        sys.exit("no gpu.binary with PTX assembly in the input")
    with tempfile.TemporaryDirectory() as tmp:
        for name, chip, asm in kernels:
            path = os.path.join(tmp, name + ".ptx")
            with open(path, "w") as f:
                f.write(unescape(asm))
            run = subprocess.run([ptxas, "-v", "-arch=" + chip, path, "-o",
                                  os.path.join(tmp, name + ".cubin")],
                                 capture_output=True, text=True)
            if run.returncode:
                sys.exit(f"ptxas failed on {name}:\n{run.stderr}")
            # One image may hold several entries (a function's kernels,
            # attn-gpu-merge-kernel-modules): ptxas reports each in turn.
            log = run.stderr + run.stdout
            parts = ENTRY.split(log)[1:]
            if not parts:
                sys.exit(f"no ptxas report for {name}:\n{run.stderr}")
            for entry, report in zip(parts[0::2], parts[1::2]):
                m = USAGE.search(report)
                if not m:
                    sys.exit(f"no ptxas report for {entry}:\n{run.stderr}")
                stack, stores, loads, regs = m.groups()
                print(f"{entry} {chip}: registers {regs}, spill stores "
                      f"{stores} B, spill loads {loads} B, stack {stack} B")


if __name__ == "__main__":
    main()
