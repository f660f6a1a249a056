#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# Runs tools/train.py under torchrun (gloo on CPU, nccl on GPUs).
set -euo pipefail
CONFIG=$1
NPROCS=$2
PORT=${PORT:-29500}
PYTHON=${PYTHON:-python}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHONPATH="$ROOT:${PYTHONPATH:-}" \
"$PYTHON" -m torch.distributed.run --nnodes=1 --node_rank=0 \
    --master_addr=127.0.0.1 --nproc_per_node="$NPROCS" --master_port="$PORT" \
    "$ROOT/tools/train.py" "$CONFIG" --launcher pytorch "${@:3}"
