#!/usr/bin/env bash
# Installs every dependency of attn-opt on a fresh Debian 12 machine
# (LLVM/MLIR 22, build tools, GoogleTest, Python packages), then configures
# and builds the project in ./build. Idempotent: re-running only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

APT_PACKAGES="llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22 \
  ninja-build cmake ccache libgtest-dev libgmock-dev libbenchmark-dev libpng-dev python3 \
  libclang-rt-22-dev"
missing=""
for p in $APT_PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
python3 -c "import numpy, nanobind, pytest" 2>/dev/null || \
  python3 -m pip install -q --disable-pip-version-check numpy nanobind pytest

# torch (optional: attn_opt.torch and its tests). The default Linux wheel
# depends on several GB of CUDA packages that the CPU never loads; install
# the wheel alone, its pure-Python dependencies, and exactly the four NVIDIA
# libraries `import torch` loads (measured: 1.1 GB downloaded, 104 s).
# ATTN_SKIP_TORCH=1 skips it.
if [ "${ATTN_SKIP_TORCH:-0}" != 1 ] && ! python3 -c "import torch" 2>/dev/null; then
  PIP="python3 -m pip install -q --disable-pip-version-check"
  torch_dir=$(mktemp -d)
  python3 -m pip download -q --disable-pip-version-check --no-deps \
    -d "$torch_dir" 'torch==2.15.*'
  $PIP --no-deps "$torch_dir"/torch-*.whl
  rm -rf "$torch_dir"
  $PIP filelock 'typing-extensions>=4.13.0' 'setuptools>=77.0.3' 'sympy>=1.13.3' \
    'networkx>=2.5.1' jinja2 'fsspec>=0.8.5'
  $PIP --no-deps nvidia-cusparselt-cu13==0.8.1 nvidia-nvshmem-cu13==3.7.2 \
    nvidia-cufile nvidia-nccl-cu13==2.30.7
fi

export CCACHE_BASEDIR="$ROOT"
if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -B build \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE="$(command -v python3)"
fi
ninja -C build -j"$(nproc)"

# Make `import attn_opt` work in any shell: a .pth file in the user's
# site-packages (or the interpreter's, when user site-packages are disabled,
# e.g. in a virtual environment) puts build/python_packages on sys.path.
# Rewritten only when its content changes.
if [ -d build/python_packages/attn_opt ]; then
  python3 - "$ROOT/build/python_packages" <<'PY'
import os, site, sys, sysconfig
target = sys.argv[1]
candidates = []
if site.ENABLE_USER_SITE:
    candidates.append(site.getusersitepackages())
candidates.append(sysconfig.get_paths()["purelib"])
for d in candidates:
    path = os.path.join(d, "attn_opt_build.pth")
    try:
        os.makedirs(d, exist_ok=True)
        if not (os.path.exists(path) and open(path).read() == target + "\n"):
            with open(path, "w") as f:
                f.write(target + "\n")
            print(f"attn_opt: {path} -> {target}")
        break
    except OSError:
        continue
else:
    print("attn_opt: no writable site-packages; use PYTHONPATH=" + target)
PY
fi
