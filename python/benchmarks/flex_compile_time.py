"""First-call and cached-call time of attn_opt.torch.flex_attention against
torch.compile'd FlexAttention on the CPU (docs/python.md, "From
FlexAttention").

    PYTHONPATH=build/python_packages python3 python/benchmarks/flex_compile_time.py [attn_opt|torch]

Each backend runs in a fresh process (this script starts them), so the
first call (create_block_mask + flex_attention) pays for tracing and
compiling: torch's inductor cache goes to a new temporary directory (its
precompiled header, built on the very first run, stays in
/tmp/torchinductor_<user>). Cached: flex_attention with the block mask
reused, and create_block_mask alone. Imports are not timed. Same program for both:
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
    start = time.perf_counter()
    bm = create_block_mask(causal_window, None, None, N, N, device="cpu")
    out = flex_attention(q, k, v, score_mod=softcap, block_mask=bm)
    first = time.perf_counter() - start
    calls, masks = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = flex_attention(q, k, v, score_mod=softcap, block_mask=bm)
        calls.append(time.perf_counter() - start)
        start = time.perf_counter()
        create_block_mask(causal_window, None, None, N, N, device="cpu")
        masks.append(time.perf_counter() - start)
    print(f"{backend}: first call {first:.2f} s, cached flex_attention "
          f"{min(calls) * 1e3:.1f} ms, create_block_mask {min(masks) * 1e3:.1f} ms "
          f"(best of {REPEATS})")
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
