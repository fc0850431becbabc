# Sourced by slurm/train.sh and slurm/self_train.sh when they are run with bash instead of sbatch:
# submit the script itself, its resources taken from variables.
#
#   PARTITION       (the cluster's default)    NODES          (1)
#   GPUS_PER_NODE   (0)                        TASKS_PER_NODE (GPUS_PER_NODE, at least 1)
#   CPUS_PER_TASK   (4)                        MEM            (unset: the cluster's default)
#   TIME_LIMIT      (1-00:00:00)               REQUEUE_BEFORE (120: seconds before the time
#   LOG_DIR         (slurm-logs)                               limit when the job requeues itself)
#   SBATCH_ARGS     (more sbatch options, split on spaces)

submit_self() {  # submit_self SCRIPT JOB_NAME ARGS...
  local script=$1 name=$2; shift 2
  local gpus=${GPUS_PER_NODE:-0}
  local tasks=${TASKS_PER_NODE:-$((gpus > 0 ? gpus : 1))}
  local log_dir=${LOG_DIR:-slurm-logs}
  mkdir -p "$log_dir"
  local flags=(--job-name "$name" --nodes "${NODES:-1}" --ntasks-per-node "$tasks"
               --cpus-per-task "${CPUS_PER_TASK:-4}" --time "${TIME_LIMIT:-1-00:00:00}"
               --requeue --signal "B:USR1@${REQUEUE_BEFORE:-120}" --open-mode append
               --output "$log_dir/%x-%j.out")
  [ -n "${PARTITION:-}" ] && flags+=(--partition "$PARTITION")
  [ "$gpus" -gt 0 ] && flags+=(--gpus-per-node "$gpus")
  [ -n "${MEM:-}" ] && flags+=(--mem "$MEM")
  # shellcheck disable=SC2206
  [ -n "${SBATCH_ARGS:-}" ] && flags+=($SBATCH_ARGS)
  exec sbatch "${flags[@]}" "$script" "$@"
}
