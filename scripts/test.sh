#!/usr/bin/env bash
# Builds attn-opt (installing what is missing) and runs every test through
# ctest: lit suites, GoogleTest binaries and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
