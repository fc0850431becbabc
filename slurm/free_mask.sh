#!/usr/bin/env bash
# Free Mask over many images on Slurm: a job array with one shard per task, and a merge job that
# runs once every shard has succeeded.
#
#   sbatch slurm/free_mask.sh CONFIG OUT (--images DIR | --ann-file JSON --img-root DIR) [ARGS]
#   NUM_SHARDS=64 PARTITION=cpu CPUS_PER_TASK=8 sbatch slurm/free_mask.sh ...
#   bash slurm/free_mask.sh ...          # the same, submitting from where you are
#
# ARGS go to tools/free_mask.py (--batch-size, --chunk-size, --device, --checkpoint, ...).
# This job only submits: the shards still unfinished as the array (finished ones are not
# redone), then the merge with --dependency=afterok on the array. Submit it again after a failure,
# a cancelled shard or a preemption: shards already written are skipped, a shard interrupted
# mid-way continues from its finished chunks, and the merge follows. The job ids are printed as
# `array_job=...` and `merge_job=...` lines.
#
# Variables (defaults): NUM_SHARDS (8), PARTITION (the cluster's default), CPUS_PER_TASK (4; also
# the threads of each shard), GPUS_PER_TASK (0; with GPUs pass --device cuda), MEM (unset),
# TIME_LIMIT (04:00:00 per shard), MERGE_TIME_LIMIT (01:00:00), ARRAY_PARALLELISM (unset: all at
# once), WORKERS (0 image loading processes per shard), LOG_DIR (slurm-logs), PYTHON (python).
#
#SBATCH --job-name=free-mask-submit
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --time=00:10:00
set -euo pipefail

PYTHON=${PYTHON:-python}
ROLE=${MMFREESOLO_FREE_MASK_ROLE:-submit}
NUM_SHARDS=${NUM_SHARDS:-8}

case "$ROLE" in
  shard)
    CONFIG=$1 OUT=$2; shift 2
    export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
    exec "$PYTHON" -u -m mmfreesolo.cli.free_mask "$CONFIG" --out "$OUT" --no-progress \
      --workers "${WORKERS:-0}" "$@" --shard-id "$SLURM_ARRAY_TASK_ID" --num-shards "$NUM_SHARDS"
    ;;
  merge)
    exec "$PYTHON" -u -m mmfreesolo.cli.merge_free_mask "$2" --remove-shards
    ;;
  submit) ;;
  *) echo "MMFREESOLO_FREE_MASK_ROLE must be submit, shard or merge, not '$ROLE'" >&2; exit 2 ;;
esac

if [ $# -lt 3 ]; then
  echo "usage: sbatch slurm/free_mask.sh CONFIG OUT (--images DIR | --ann-file JSON --img-root DIR) [ARGS]" >&2
  exit 2
fi
CONFIG=$1 OUT=$2
pending=$("$PYTHON" -c 'import sys
from mmfreesolo.pseudo_labels.label_file import label_file_complete
from mmfreesolo.pseudo_labels.shards import unfinished_shards
out, num_shards = sys.argv[1], int(sys.argv[2])
print("complete" if label_file_complete(out) else
      ",".join(map(str, unfinished_shards(out, num_shards))))' "$OUT" "$NUM_SHARDS")
if [ "$pending" = complete ]; then
  echo "$OUT is complete; nothing to do"
  exit 0
fi

LOG_DIR=${LOG_DIR:-slurm-logs}
mkdir -p "$LOG_DIR"
common=(--parsable --kill-on-invalid-dep=yes --export=ALL,NUM_SHARDS="$NUM_SHARDS")
[ -n "${PARTITION:-}" ] && common+=(--partition "$PARTITION")
# Under sbatch, $0 is Slurm's copy of this file: the array and the merge are submitted from it.
dependency=()
if [ -n "$pending" ]; then
  # the arguments are checked once, here, rather than failing in every task
  "$PYTHON" -m mmfreesolo.cli.free_mask "$CONFIG" --out "$OUT" "${@:3}" --check-only
  shard=("${common[@]}" --job-name free-mask --ntasks 1 --cpus-per-task "${CPUS_PER_TASK:-4}"
         --array "$pending${ARRAY_PARALLELISM:+%$ARRAY_PARALLELISM}"
         --time "${TIME_LIMIT:-04:00:00}" --requeue --open-mode=append
         --output "$LOG_DIR/free-mask-%A_%a.out")
  [ "${GPUS_PER_TASK:-0}" -gt 0 ] && shard+=(--gpus-per-task "$GPUS_PER_TASK")
  [ -n "${MEM:-}" ] && shard+=(--mem "$MEM")
  array_job=$(MMFREESOLO_FREE_MASK_ROLE=shard sbatch "${shard[@]}" "$0" "$@")
  array_job=${array_job%%;*}
  echo "array_job=$array_job shards=$pending of $NUM_SHARDS"
  dependency=(--dependency "afterok:$array_job")
else
  echo "every shard of $OUT is written"
fi
# one shard writes OUT itself
[ "$NUM_SHARDS" -eq 1 ] && exit 0
merge_job=$(MMFREESOLO_FREE_MASK_ROLE=merge sbatch "${common[@]}" "${dependency[@]}" \
  --job-name free-mask-merge --ntasks 1 --cpus-per-task 1 --time "${MERGE_TIME_LIMIT:-01:00:00}" \
  --output "$LOG_DIR/free-mask-merge-%j.out" "$0" "$CONFIG" "$OUT")
echo "merge_job=${merge_job%%;*}"
