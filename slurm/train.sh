#!/usr/bin/env bash
# Training on Slurm, one or many nodes: tools/train.py --launcher slurm, one task per GPU (or per
# CPU process), started by srun.
#
#   sbatch --nodes 2 --ntasks-per-node 8 --gpus-per-node 8 slurm/train.sh configs/freesolo_r50_coco.py
#   NODES=2 GPUS_PER_NODE=8 PARTITION=gpu bash slurm/train.sh configs/freesolo_r50_coco.py
#
# Arguments after the config go to tools/train.py (--work-dir, --cfg-options, ...). The job
# always trains with --resume: a job requeued by preemption, by `scontrol requeue`, or by itself
# shortly before its time limit (USR1, REQUEUE_BEFORE seconds ahead) continues from the last
# checkpoint in its work dir. With bash, the job is submitted with resources from variables
# (slurm/lib/submit_self.sh lists them); with sbatch, from its options and the defaults below.
#
#SBATCH --job-name=freesolo-train
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
  submit_self "$0" freesolo-train "$@"
fi
[ $# -ge 1 ] || { echo "usage: sbatch slurm/train.sh CONFIG [tools/train.py args]" >&2; exit 2; }

# one rendezvous port per job, so that jobs sharing a node do not collide
export MASTER_PORT=${MASTER_PORT:-$((20000 + SLURM_JOB_ID % 20000))}
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
# srun in the background, so that the trap runs at once; the requeue then ends the step
trap 'echo "time limit near: requeueing job $SLURM_JOB_ID"; scontrol requeue "$SLURM_JOB_ID"' USR1
srun --kill-on-bad-exit=1 "${PYTHON:-python}" -u -m mmfreesolo.cli.train "$@" \
  --launcher slurm --resume &
wait $!
