#!/usr/bin/env bash
# Self-supervised pretraining (DenseCL) on Slurm, one or many nodes: tools/pretrain.py --launcher
# slurm, one task per GPU (or per CPU process), started by srun. DenseCL's queue gathers the keys
# of every task.
#
#   sbatch --nodes 2 --ntasks-per-node 8 --gpus-per-node 8 slurm/pretrain.sh \
#       configs/pretrain/densecl_r50_coco.py --work-dir work_dirs/densecl_r50
#   NODES=2 GPUS_PER_NODE=8 PARTITION=gpu bash slurm/pretrain.sh configs/pretrain/densecl_r50_coco.py
#
# Arguments after the config go to tools/pretrain.py (--images, --ann-file, --work-dir,
# --cfg-options, ...). The job always runs with --resume: requeued by preemption, by `scontrol
# requeue`, or by itself shortly before its time limit (USR1, REQUEUE_BEFORE seconds ahead), it
# continues from the last checkpoint in its work dir, and a finished run only writes
# backbone.pth. With bash, the job is submitted with resources from variables
# (slurm/lib/submit_self.sh lists them); with sbatch, from its options and the defaults below.
#
#SBATCH --job-name=freesolo-pretrain
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=4
#SBATCH --time=1-00:00:00
#SBATCH --requeue
#SBATCH --signal=B:USR1@120
#SBATCH --open-mode=append
set -euo pipefail
if [ -z "${SLURM_JOB_ID:-}" ]; then
  source "$(dirname "$0")/lib/submit_self.sh"
  submit_self "$0" freesolo-pretrain "$@"
fi
[ $# -ge 1 ] || { echo "usage: sbatch slurm/pretrain.sh CONFIG [tools/pretrain.py args]" >&2; exit 2; }

# (inline, not sourced: sbatch runs a copy of this file from Slurm's spool folder)
# one rendezvous port per job, so that jobs sharing a node do not collide
export MASTER_PORT=${MASTER_PORT:-$((20000 + SLURM_JOB_ID % 20000))}
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
# srun in the background, so that the trap runs at once; the requeue then ends the step
trap 'echo "time limit near: requeueing job $SLURM_JOB_ID"; scontrol requeue "$SLURM_JOB_ID"' USR1
srun --kill-on-bad-exit=1 "${PYTHON:-python}" -u -m mmfreesolo.cli.pretrain "$@" \
  --launcher slurm --resume &
wait $!
