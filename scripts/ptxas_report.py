#!/usr/bin/env python3
"""ptxas -v of every kernel in `attn-opt --attn-gpu-ptx` output.

Reads the printed module (stdin or a file), takes the PTX assembly of each
gpu.binary (format=isa), assembles it with ptxas for the binary's chip and
prints one line per kernel:

    KERNEL sm_80: registers R, spill stores S B, spill loads L B, stack K B

For functions attn-emit-lib does not take (several kernels per function:
a block selection's pooling and selection kernels before the attention
kernel), so that their PTX is still assembled and its resources checked
(test/Target/PTX/selection.mlir). Exits 1 without ptxas or kernels.

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
            m = USAGE.search(run.stderr + run.stdout)
            if not m:
                sys.exit(f"no ptxas report for {name}:\n{run.stderr}")
            stack, stores, loads, regs = m.groups()
            print(f"{name} {chip}: registers {regs}, spill stores {stores} B, "
                  f"spill loads {loads} B, stack {stack} B")


if __name__ == "__main__":
    main()
