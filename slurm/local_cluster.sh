#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for the tests and for trying the sbatch
# scripts and tools/submit.py without a cluster: Debian's munge, slurmctld, slurmd and slurmdbd,
# with accounting in a MariaDB server of its own (submitit learns a job's state from sacct: without
# accounting a job that dies without writing its result is never seen as finished).
#
#   bash slurm/local_cluster.sh install   # the Debian packages only, when missing
#   bash slurm/local_cluster.sh start     # installs the packages when missing; prints the env line
#   eval "$(bash slurm/local_cluster.sh env)"   # SLURM_CONF for sbatch, sinfo, sacct, submitit
#   bash slurm/local_cluster.sh status
#   bash slurm/local_cluster.sh stop [--purge]  # --purge also forgets jobs and accounting
#
# Everything lives in $MMFREESOLO_SLURM_DIR (default /tmp/mmfreesolo-slurm): configuration,
# controller state, spool, logs and the database. A fresh folder restarts job ids at 1 together
# with the accounting database, so the two never disagree. Needs root (or passwordless sudo) to
# install packages and run the daemons, as any Slurm installation does.
#
# Variables: MMFREESOLO_SLURM_DIR, MMFREESOLO_SLURM_PORTS (first of 4 consecutive ports: slurmctld,
# slurmd, slurmdbd, MariaDB; default 16817), MMFREESOLO_SLURM_INSTALL=0 (never install packages).
set -euo pipefail

DIR=${MMFREESOLO_SLURM_DIR:-/tmp/mmfreesolo-slurm}
PORT0=${MMFREESOLO_SLURM_PORTS:-16817}
CTLD_PORT=$PORT0 SLURMD_PORT=$((PORT0 + 1)) DBD_PORT=$((PORT0 + 2)) DB_PORT=$((PORT0 + 3))
CONF=$DIR/etc/slurm.conf
PACKAGES=(munge slurmctld slurmd slurm-client slurmdbd mariadb-server)

log() { echo "[local-cluster] $*" >&2; }
die() { echo "[local-cluster] ERROR: $*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" != 0 ]; then
  sudo -n true 2>/dev/null || die "needs root or passwordless sudo (it runs Slurm's daemons)"
  SUDO=(sudo -n)
fi

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  [ "${MMFREESOLO_SLURM_INSTALL:-1}" = 0 ] && die "missing packages: ${missing[*]}"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local apt=("${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}")
  "${apt[@]}" >/dev/null 2>&1 || { "${SUDO[@]}" apt-get update -q >/dev/null && "${apt[@]}" >/dev/null; } \
    || die "could not install ${missing[*]}"
}

write_config() {
  mkdir -p "$DIR"/{etc,state,spool,log,run,db}
  # the node's real hardware: a RealMemory above the real one leaves the node invalid
  local hw
  hw=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]* //')
  cat > "$CONF" <<EOF
ClusterName=mmfreesolo
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
# no cgroups in containers
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# cores are the unit of allocation: array tasks and job steps run side by side
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# a job that can never run is refused at submission instead of pending forever
EnforcePartLimits=ALL
SchedulerParameters=batch_sched_delay=0
KillWait=5
ReturnToService=2
MpiDefault=none
JobRequeue=1
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
JobAcctGatherType=jobacct_gather/none
NodeName=localhost NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  cat > "$DIR/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$DIR/run/slurmdbd.pid
LogFile=$DIR/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
EOF
  chmod 600 "$DIR/etc/slurmdbd.conf"
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
  "${SUDO[@]}" install -d -o munge -g munge -m 0755 /run/munge
  [ -f /etc/munge/munge.key ] || "${SUDO[@]}" runuser -u munge -- mungekey --create
  "${SUDO[@]}" runuser -u munge -- munged
  munge -n | unmunge >/dev/null || die "munged does not answer"
}

start_database() {
  pid_alive "$DIR/run/mariadb.pid" && return
  if [ ! -d "$DIR/db/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$DIR/db" --user=root --skip-test-db \
      --auth-root-authentication-method=socket >"$DIR/log/mariadb-install.log" 2>&1 \
      || die "mariadb-install-db failed: $DIR/log/mariadb-install.log"
  fi
  setsid mariadbd --no-defaults --datadir="$DIR/db" --user=root --bind-address=127.0.0.1 \
    --port="$DB_PORT" --socket="$DIR/run/mariadb.sock" --pid-file="$DIR/run/mariadb.pid" \
    --log-error="$DIR/log/mariadb.log" --skip-log-bin --innodb-buffer-pool-size=32M \
    </dev/null >/dev/null 2>&1 &
  local sql=(mariadb --no-defaults --socket="$DIR/run/mariadb.sock" -u root)
  for _ in $(seq 200); do "${sql[@]}" -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.05; done
  "${sql[@]}" -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurm';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';" \
    || die "MariaDB did not start: $DIR/log/mariadb.log"
}

wait_for() {  # wait_for SECONDS WHAT COMMAND...
  local seconds=$1 what=$2; shift 2
  local end=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.05
  done
}

node_idle() { [ "$(SLURM_CONF=$CONF sinfo -h -N -o %T 2>/dev/null)" = idle ]; }
# idle, or running jobs
node_up() { SLURM_CONF=$CONF sinfo -h -N -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; }

start() {
  install_packages
  if pid_alive "$DIR/run/slurmctld.pid" && pid_alive "$DIR/run/slurmd.pid" && node_up; then
    log "running (SLURM_CONF=$CONF)"; return
  fi
  stop_daemons
  write_config
  start_munge
  start_database
  export SLURM_CONF=$CONF
  slurmdbd
  wait_for 20 slurmdbd sacctmgr -n list cluster \
    || die "slurmdbd does not answer: $DIR/log/slurmdbd.log"
  # the controller registers the cluster with slurmdbd on its first start
  slurmctld
  slurmd -N localhost
  wait_for 30 "the node" node_idle \
    || die "the node is not idle ($(sinfo -h -N -o '%T %E' 2>&1)): $DIR/log/slurmd.log, $DIR/log/slurmctld.log"
  log "running (SLURM_CONF=$CONF)"
}

stop_daemons() {
  local name pid
  for name in slurmd slurmctld slurmdbd mariadb; do
    local pidfile=$DIR/run/$name.pid
    if pid_alive "$pidfile"; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      wait_for 20 "$name to stop" bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

status() {
  if pid_alive "$DIR/run/slurmctld.pid" && node_up; then
    SLURM_CONF=$CONF sinfo
  else
    echo "not running"; return 1
  fi
}

case "${1:-}" in
  install) install_packages ;;
  start) start; echo "export SLURM_CONF=$CONF" ;;
  stop)
    stop_daemons
    if [ "${2:-}" = --purge ]; then rm -rf "$DIR"; log "stopped; $DIR removed"; else log "stopped"; fi ;;
  status) status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 {install|start|stop [--purge]|status|env}" >&2; exit 2 ;;
esac
