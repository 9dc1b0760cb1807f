#!/usr/bin/env bash
# Builds attn-opt (installing what is missing) and runs every test through
# ctest: lit suites, GoogleTest binaries and pytest; then the sanitizer and
# fuzzing stage (scripts/sanitize.sh; ATTN_SANITIZE=0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
(cd build && ctest --output-on-failure -j"$(nproc)" "$@")
if [ "${ATTN_SANITIZE:-1}" != 0 ]; then
  bash scripts/sanitize.sh
fi
