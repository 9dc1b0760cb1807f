#!/usr/bin/env bash
# The sanitizer and fuzzing stage of the tests, run by scripts/test.sh after
# the main ctest run (docs/testing.md says what runs and what it costs):
#  1. configures and builds ./build-asan: the project's code with
#     AddressSanitizer and UndefinedBehaviorSanitizer
#     (ATTN_ENABLE_SANITIZERS) and the libFuzzer targets of fuzz/
#     (ATTN_ENABLE_FUZZERS);
#  2. runs there, through ctest, the unit tests and the lit suite less the
#     part too slow for CI's 30 minutes (SLOW_TESTS below);
#  3. runs each fuzzer from its seed corpus for ATTN_FUZZ_SECONDS seconds
#     (default 60), both at once, and fails on any crash, sanitizer report,
#     timeout or out-of-memory, printing the reproducer's path.
# Needs what scripts/setup.sh installs (clang's sanitizer and libFuzzer
# runtimes come with libclang-rt-22-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=build-asan
FUZZ_SECONDS=${ATTN_FUZZ_SECONDS:-60}

# Tests left out of the sanitizer run, each for its time (measured on a
# 2-core machine; the same tests run uninstrumented in ./build):
#  - GoogleTest's value-parameterized sweeps (PREFIX/Suite.Test/PARAM: the
#    CPU and GPU numerics and bf16-dot sweeps of NumericsTest and
#    GPUNumericsTest, ~330 cases, ~60 min of CPU under ASan). Their time
#    goes to JIT-compiled kernels that no sanitizer sees and to the
#    instrumented reference interpreter, which the attn-run lit checks run;
#  - the accuracy and edge sweeps QuantizedAccuracyTest.*,
#    LinearAttentionEdgeTest.*, RegroupedSelectionTest.*,
#    TileProgramAutoSplitTest.* (with lit/zoo/fp8-accuracy.mlir ~330 s of
#    CPU under ASan, measured 2026-12-07: JIT-compiled kernels at N = 512
#    and every shape; the lowerings they compile are instrumented in the
#    attn-run lit files that stay);
#  - the zoo's lit files (lit/zoo/*: attn-run --check of every spec at two
#    sizes, the split-KV reruns, ptxas on every spec; ~420 s of CPU under
#    ASan without the ptxas and split-KV files, measured 2026-12-07, most
#    of it uninstrumented LLVM code generation and JIT-compiled kernels)
#    except the ones ZOO_TESTS picks: check.mlir (the basics, the reference
#    instrumented), parse.mlir, tile-program-print.mlir (every spec's tile
#    program printed and parsed back) and lower-every-spec.mlir (every spec
#    through the CPU pipeline to the LLVM dialect, `REQUIRES: asan`);
#  - host-avx2/*: reruns of other tests with another host CPU;
#  - bench/smoke: benchmark harness, not a correctness test;
#  - python/*: not built here (an instrumented extension module needs the
#    ASan runtime preloaded into an uninstrumented python).
SLOW_TESTS='^[A-Za-z0-9]+/[A-Za-z0-9]+\.[A-Za-z0-9_]+/|^lit/zoo/|^(QuantizedAccuracyTest|LinearAttentionEdgeTest|RegroupedSelectionTest|TileProgramAutoSplitTest)\.|^host-avx2/|^bench/|^python/'

# Runtime options of the instrumented binaries:
#  - allow_user_poisoning=0: LLVM's inline BumpPtrAllocator code, compiled
#    into our instrumented objects, poisons slabs that the uninstrumented
#    libMLIR.so shares and never unpoisons (a false use-after-poison);
#  - leak detection stays on: the one deliberate leak (the JIT's static
#    kernel cache at exit) is waived on its own test (static_cache.cmake);
#  - UBSan stops at the first report (the build has
#    -fno-sanitize-recover) and prints its stack.
export ASAN_OPTIONS=allow_user_poisoning=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

configure() {
  cmake -G Ninja -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE="$(command -v python3)" \
    -DATTN_ENABLE_SANITIZERS=ON -DATTN_ENABLE_FUZZERS=ON \
    -DATTN_ENABLE_PYTHON=OFF
}

ZOO_TESTS='^lit/zoo/(check|parse|tile-program-print|lower-every-spec)\.mlir$'

run_tests() {
  (cd "$BUILD" && ctest --output-on-failure -j"$(nproc)" -E "$SLOW_TESTS")
  (cd "$BUILD" && ctest --output-on-failure -j"$(nproc)" -R "$ZOO_TESTS")
}

# fuzz NAME EXTRA_FLAGS...: runs NAME_fuzzer from its seeds into a fresh
# work corpus; its log goes to $BUILD/fuzz/NAME.log, a finding to
# $BUILD/fuzz/findings/NAME-*.
fuzz() {
  local name=$1
  shift
  local dir="$BUILD/fuzz"
  rm -rf "$dir/work/$name"
  mkdir -p "$dir/work/$name" "$dir/findings"
  "$BUILD/bin/${name}_fuzzer" -max_total_time="$FUZZ_SECONDS" -timeout=25 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/findings/$name-" "$@" \
    "$dir/work/$name" "$dir/seeds/$name" >"$dir/$name.log" 2>&1
}

# Both fuzzers at once (one core each); prints each one's statistics and,
# for a fuzzer that failed, the end of its log.
run_fuzzers() {
  python3 fuzz/make_corpus.py "$BUILD/fuzz/seeds"
  local -A pid
  # -max_len keeps spec inputs below the nesting depths at which the
  # parsers overflow their stack (known, fuzz/findings/README.md). A .npy
  # input is a few KB and parseNpy allocates at most its size: a single
  # allocation over -malloc_limit_mb is a finding.
  fuzz spec -dict=fuzz/spec.dict -max_len=8192 &
  pid[spec]=$!
  fuzz npy -dict=fuzz/npy.dict -malloc_limit_mb=64 &
  pid[npy]=$!
  local name failed=0
  for name in spec npy; do
    if wait "${pid[$name]}"; then
      echo "fuzz $name: no finding in ${FUZZ_SECONDS} s"
    else
      echo "fuzz $name: FAILED (reproducer in $BUILD/fuzz/findings)"
      tail -n 60 "$BUILD/fuzz/$name.log"
      failed=1
    fi
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
      "$BUILD/fuzz/$name.log" | sed "s/^/fuzz $name: /"
  done
  return $failed
}

export CCACHE_BASEDIR="$ROOT"
[ -f "$BUILD/build.ninja" ] || configure
ninja -C "$BUILD" -j"$(nproc)"
run_tests
run_fuzzers
