"""The local Slurm cluster (slurm/local_cluster.sh) for the tests that need one; test modules
import the fixture from here."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO

CLUSTER = str(REPO / 'slurm' / 'local_cluster.sh')
TERMINAL = ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL',
            'PREEMPTED', 'BOOT_FAIL', 'DEADLINE')


def _cluster(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(['bash', CLUSTER, *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope='session')
def slurm(tmp_path_factory):
    """``SLURM_CONF`` of a running local cluster, set in this process's environment, and the
    virtual environment first on PATH so that batch scripts find its ``python``.

    A cluster that is already running is used as it is; otherwise one is started (installing
    the packages if needed) and stopped at the end. Skipped, with the reason, only when it
    cannot start."""
    started = None
    if _cluster('status').returncode != 0:
        begin = time.monotonic()
        result = _cluster('start')
        if result.returncode != 0:
            pytest.skip(f'the local Slurm cluster cannot start: {result.stderr.strip()[-800:]}')
        started = time.monotonic() - begin
        print(f'\nlocal Slurm cluster started in {started:.1f} s')
    conf = _cluster('env').stdout.strip().split('=', 1)[1]
    mp = pytest.MonkeyPatch()
    mp.setenv('SLURM_CONF', conf)
    mp.setenv('PATH', f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}')
    yield conf
    mp.undo()
    if started is not None:
        _cluster('stop')


def job_state(job_id: str) -> str:
    """The accounting state of a job (of an array: the one not yet ended, if any)."""
    out = subprocess.run(['sacct', '-n', '-X', '-P', '-j', job_id, '-o', 'State'],
                         capture_output=True, text=True).stdout.split()
    states = [s for s in out if s and s != 'by' and not s.isdigit()]
    running = [s for s in states if s not in TERMINAL]
    return (running or states or ['UNKNOWN'])[0]


def wait_for_job(job_id: str, timeout: float = 600) -> str:
    """Poll accounting until the job (every task of an array) has ended; its state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = job_state(job_id)
        if state in TERMINAL:
            return state
        time.sleep(0.5)
    raise AssertionError(f'job {job_id} still {job_state(job_id)} after {timeout} s')


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f'timed out waiting for {what}'
        time.sleep(0.2)


def release_requeued(job_id: str, timeout: float = 120) -> None:
    """Slurm makes a requeued job eligible 120 s after the requeue; start it as soon as it is
    pending again."""
    def pending():
        reason = subprocess.run(['squeue', '-h', '-j', job_id, '-o', '%r'], capture_output=True,
                                text=True).stdout.strip()
        return reason == 'BeginTime'
    wait_until(pending, timeout, f'job {job_id} to be requeued')
    subprocess.run(['scontrol', 'update', f'JobId={job_id}', 'StartTime=now'], check=True)
