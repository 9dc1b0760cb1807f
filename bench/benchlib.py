"""What the bench scripts share: the machine's load and CPU, and the footer
every table is printed with (load before and after, CPU flags, commands)."""
import re
import subprocess


def load_average():
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_flags():
    """The CPU's model name and its vector flags (AVX2, FMA, AVX-512)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return "unknown"
    name = re.search(r"Model name:\s*(.*)", out)
    flags = re.search(r"Flags:\s*(.*)", out)
    wanted = [f for f in (flags.group(1).split() if flags else [])
              if f.startswith("avx512") or f in ("avx2", "fma", "avx_vnni")]
    return f"{name.group(1) if name else '?'}; {' '.join(sorted(wanted))}"


def print_footer(load_before, commands):
    """Load before and now, the CPU and the commands that ran."""
    print(f"\nload average before: {load_before}; after: {load_average()}")
    print(f"CPU: {cpu_flags()}")
    print("commands:")
    for c in commands:
        print(f"    {c}")
