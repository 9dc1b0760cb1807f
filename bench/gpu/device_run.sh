#!/usr/bin/env bash
# One call on a lent GPU machine (the workplace's `device` tool), from the
# repository root, with the bundle of bench/gpu/make_bundle.py carried:
#   bash bench/gpu/device_run.sh [.gpu-bundle] [extra run_gpu_check.py args]
# Writes summary.md, results.jsonl and logs.tgz under $OUT (or ./gpu-out).
set -u
bundle=${1:-.gpu-bundle}
shift || true
out=${OUT:-$PWD/gpu-out}
work=/tmp/attn-gpu-run
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.version.cuda, torch.cuda.get_device_name())"
cc --version | head -1
export PYTHONUNBUFFERED=1
python3 bench/gpu/run_gpu_check.py "$bundle" --out "$work" "$@"
rc=$?
cp "$work/summary.md" "$work/results.jsonl" "$out/" 2>/dev/null
tar czf "$out/logs.tgz" -C "$work" $(cd "$work" && ls *.log *.jsonl 2>/dev/null)
exit $rc
