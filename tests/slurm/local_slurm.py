"""Waiting on the local Slurm cluster's jobs (the cluster itself: the ``slurm`` fixture of
tests/conftest.py)."""
from __future__ import annotations

import subprocess
import time

TERMINAL = ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL',
            'PREEMPTED', 'BOOT_FAIL', 'DEADLINE')


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
