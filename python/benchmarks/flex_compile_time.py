"""First-call and cached-call time of attn_opt.torch.flex_attention against
torch.compile'd FlexAttention on the CPU (docs/python.md, "From
FlexAttention").

    PYTHONPATH=build/python_packages python3 python/benchmarks/flex_compile_time.py [attn_opt|torch]

Each backend runs in a fresh process (this script starts them), so the
first call pays for tracing and compiling: torch's inductor cache goes to a
new temporary directory. Imports are not timed. Same program for both:
a causal sliding window of 256 and a soft-capped score, B=1, H=8, N=1024,
D=64, float32.
"""

import os
import subprocess
import sys
import tempfile
import time
import warnings

B, H, N, D, WINDOW, CAP = 1, 8, 1024, 64, 256, 30.0
REPEATS = 5


def causal_window(b, h, q_idx, kv_idx):
    return (q_idx >= kv_idx) & (q_idx - kv_idx < WINDOW)


def softcap(score, b, h, q_idx, kv_idx):
    return CAP * __import__("torch").tanh(score / CAP)


def measure(backend: str):
    import torch
    if backend == "torch":
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention
        flex_attention = torch.compile(flex_attention)
    else:
        from attn_opt.torch import create_block_mask, flex_attention
    torch.manual_seed(0)
    q, k, v = (torch.randn(B, H, N, D) for _ in range(3))
    times = []
    for _ in range(REPEATS + 1):
        start = time.perf_counter()
        bm = create_block_mask(causal_window, None, None, N, N, device="cpu")
        out = flex_attention(q, k, v, score_mod=softcap, block_mask=bm)
        times.append(time.perf_counter() - start)
    print(f"{backend}: first call {times[0]:.2f} s, cached call "
          f"{min(times[1:]) * 1e3:.1f} ms (best of {REPEATS})")
    return out


def main():
    warnings.filterwarnings("ignore")
    if len(sys.argv) > 1:
        measure(sys.argv[1])
        return
    for backend in ("attn_opt", "torch"):
        env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=tempfile.mkdtemp())
        subprocess.run([sys.executable, __file__, backend], env=env, check=True)


if __name__ == "__main__":
    main()
