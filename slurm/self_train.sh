#!/usr/bin/env bash
# Self-training on Slurm: tools/self_train.py --launcher slurm (Free Mask if its labels are
# missing, then the rounds), one task per GPU (or per CPU process), started by srun.
#
#   sbatch --nodes 1 --ntasks-per-node 8 --gpus-per-node 8 slurm/self_train.sh \
#       configs/freesolo_r101_coco.py --rounds 2 --work-dir work_dirs/self_train_r101
#   GPUS_PER_NODE=8 PARTITION=gpu bash slurm/self_train.sh configs/freesolo_r101_coco.py ...
#
# Arguments after the config go to tools/self_train.py. Requeued (preemption, `scontrol
# requeue`, or by itself REQUEUE_BEFORE seconds before its time limit), the job runs the same
# command again, which continues from the last checkpoint or finished stage. Resources as in
# slurm/train.sh (slurm/lib/submit_self.sh lists the variables).
#
#SBATCH --job-name=freesolo-self-train
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=4
#SBATCH --time=2-00:00:00
#SBATCH --requeue
#SBATCH --signal=B:USR1@120
#SBATCH --open-mode=append
set -euo pipefail
if [ -z "${SLURM_JOB_ID:-}" ]; then
  source "$(dirname "$0")/lib/submit_self.sh"
  submit_self "$0" freesolo-self-train "$@"
fi
[ $# -ge 1 ] || { echo "usage: sbatch slurm/self_train.sh CONFIG --work-dir DIR [args]" >&2; exit 2; }

export MASTER_PORT=${MASTER_PORT:-$((20000 + SLURM_JOB_ID % 20000))}
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
# srun in the background, so that the trap runs at once; the requeue then ends the step
trap 'echo "time limit near: requeueing job $SLURM_JOB_ID"; scontrol requeue "$SLURM_JOB_ID"' USR1
srun --kill-on-bad-exit=1 "${PYTHON:-python}" -u -m mmfreesolo.cli.self_train "$@" \
  --launcher slurm &
wait $!
