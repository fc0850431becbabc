"""Waiting on the local Slurm cluster's jobs (the cluster itself: the ``slurm`` fixture of
tests/conftest.py)."""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Callable, Dict, List

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


def job_record(job_id: str) -> Dict[str, str]:
    """The controller's state, pending reason and restart count of a job ('' once forgotten)."""
    out = subprocess.run(['scontrol', 'show', 'job', '-o', job_id], capture_output=True,
                         text=True).stdout
    fields = {key: re.search(rf'\b{key}=(\S+)', out) for key in ('JobState', 'Reason', 'Restarts')}
    return {key: match.group(1) if match else '' for key, match in fields.items()}


def release_requeued(job_id: str, log: Callable[[], str] = lambda: '',
                     timeout: float = 120) -> None:
    """Wait until the job has been requeued, and start it soon after it is pending again.

    Slurm makes a requeued job eligible 120 s after the requeue. Not at once: slurmd refuses to
    launch a job whose start time (in whole seconds) is not later than the time its previous run
    was killed ("Job N already killed, do not launch batch job"), and the job then ends FAILED
    without running. Two seconds put the start in a later second.

    A job that ends, or is still not requeued after ``timeout``, fails the test with its state
    and the end of ``log()`` (the job's log), which says why."""
    deadline = time.monotonic() + timeout
    while (job := job_record(job_id))['Restarts'] in ('', '0'):
        if job['JobState'] in TERMINAL or time.monotonic() > deadline:
            raise AssertionError(f'job {job_id} was not requeued: {job}; its log ends:\n'
                                 f'{log()[-3000:]}')
        time.sleep(0.2)
    wait_until(lambda: job_record(job_id)['Reason'] == 'BeginTime', 30,
               f'requeued job {job_id} to be pending')
    time.sleep(2)
    subprocess.run(['scontrol', 'update', f'JobId={job_id}', 'StartTime=now'], check=True)


def requeued_near_the_time_limit(command: List[str], env: Dict[str, str], work: Path,
                                 logs: Path) -> str:
    """Submit a self-submitting batch script (``bash slurm/X.sh ...``), send its batch shell the
    USR1 that Slurm sends before the time limit once the first checkpoint is in ``work``, start
    the requeued job at once, and return its log once it has COMPLETED."""
    submitted = subprocess.run(command, cwd=logs.parent, env=dict(env, LOG_DIR=str(logs)),
                               capture_output=True, text=True)
    assert submitted.returncode == 0, submitted.stderr
    job_id = re.search(r'Submitted batch job (\d+)', submitted.stdout).group(1)
    wait_until(lambda: (work / 'last_checkpoint').exists(), 300, 'the first checkpoint')
    subprocess.run(['scancel', '--batch', '--signal', 'USR1', job_id], check=True)
    release_requeued(job_id, lambda: ''.join(f.read_text() for f in logs.glob(f'*-{job_id}.out')))
    state = wait_for_job(job_id)
    (log, ) = logs.glob(f'*-{job_id}.out')
    text = log.read_text()
    assert state == 'COMPLETED', f'job {job_id} ended {state}; its log ends:\n{text[-3000:]}'
    assert f'time limit near: requeueing job {job_id}' in text
    assert text.count('Distributed training: True') == 2, 'two starts, each distributed'
    assert re.search(r'resumed epoch: 0, iter: [1-9]', text)
    return text
