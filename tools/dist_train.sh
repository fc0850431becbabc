#!/usr/bin/env bash
# tools/train.py on GPUS processes of this node through torchrun, as mmdet's dist_train.sh:
#   bash tools/dist_train.sh CONFIG GPUS [tools/train.py options]
# Several nodes: the same command on each, with NNODES, NODE_RANK and MASTER_ADDR set.
# PYTHON (default: python) is the interpreter; PORT the rendezvous port (default 29500).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash tools/dist_train.sh CONFIG GPUS [tools/train.py options]" >&2
  exit 2
fi
CONFIG=$1
GPUS=$2
shift 2
exec "${PYTHON:-python}" -m torch.distributed.run --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="${PORT:-29500}" --nproc_per_node="$GPUS" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "$@"
