"""tools/submit.py through submitit on the local Slurm cluster: a training job of 2 tasks (gloo)
preempted mid-run is requeued, resumes from its checkpoint and ends at the schedule's last
iteration; a job that fails, with an error or killed outright, is reported as failed."""
import json
import subprocess

import pytest
import submitit
from submitit.slurm.slurm import SlurmJobEnvironment

from conftest import CPU_CONFIG, run, scenes_env
from local_slurm import release_requeued, wait_for_job, wait_until
from mmfreesolo.cli.submit import main as submit

pytestmark = pytest.mark.slurm

ITERS = 30


def _train_args(work, log_dir, tasks, iters=ITERS):
    return ['train', CPU_CONFIG, '--work-dir', str(work), '--log-dir', str(log_dir),
            '--tasks-per-node', str(tasks), '--cpus-per-task', '1', '--timeout', '30',
            '--cfg-options', f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            'default_hooks.checkpoint.interval=10', 'default_hooks.logger.interval=5']


def _trained_iterations(work):
    """Iterations logged by each start of the training, in order."""
    runs = []
    for scalars in sorted(work.glob('*/vis_data/scalars.json')):
        lines = [json.loads(line) for line in scalars.read_text().splitlines()]
        runs.append([line['iter'] for line in lines if 'loss' in line])
    return runs


def _preempt(job, log_dir) -> None:
    """Preemption as Slurm does it: SIGTERM to every task, then submitit's signal (USR2).

    The second only once every task has had the first. slurmctld may deliver two signals sent
    back to back in either order, and a SIGTERM arriving during the requeue kills the task's
    ``scontrol requeue`` (Slurm signals the tasks' children too): the job then fails."""
    def terms_bypassed():
        logs = [f.read_text() for f in (log_dir / job.job_id).glob('*_log.err')]
        return sum('Bypassing signal SIGTERM' in text for text in logs) == 2
    subprocess.run(['scancel', '--signal', 'TERM', job.job_id], check=True)
    wait_until(terms_bypassed, 60, 'both tasks to have the SIGTERM')
    subprocess.run(['scancel', '--signal', SlurmJobEnvironment.USR_SIG, job.job_id], check=True)


def test_two_task_training_preempted_resumes_from_its_checkpoint(slurm, scenes, tmp_path,
                                                                 monkeypatch):
    for key, value in scenes_env(scenes).items():
        monkeypatch.setenv(key, value)
    work, log_dir = tmp_path / 'work', tmp_path / 'submitit'
    ((job, ), ) = submit(_train_args(work, log_dir, tasks=2))
    wait_until(lambda: (work / 'last_checkpoint').exists(), 300, 'the first checkpoint')
    _preempt(job, log_dir)
    release_requeued(job.job_id, lambda: (job.stdout() or '')[-1500:] + (job.stderr() or ''))
    assert wait_for_job(job.job_id) == 'COMPLETED', job.stderr()

    stdout = job.stdout()
    assert 'Requeued job' in stdout, stdout[-3000:]
    first, resumed = _trained_iterations(work)
    assert first and first[-1] < ITERS, 'interrupted before the end'
    assert resumed[0] > 10 and resumed[0] - 5 <= max(first), 'resumed from a checkpoint'
    assert resumed[-1] == ITERS
    assert (work / 'last_checkpoint').read_text().strip().endswith(f'iter_{ITERS}.pth')
    assert not list(work.glob(f'iter_{ITERS + 10}.pth'))
    assert 'Distributed training: True' in stdout and 'resumed epoch: 0, iter: ' in stdout


def test_failed_jobs_are_reported_failed(slurm, scenes, tmp_path, monkeypatch):
    env = scenes_env(scenes)
    # an error raised in the job: --wait reports the job failed, with the error
    bad = run(['tools/submit.py'] + _train_args(tmp_path / 'bad', tmp_path / 'submitit', 1)
              + ['model.backbone.depth=7', '--wait'], env=env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert 'FAILED' in bad.stdout and 'invalid depth 7' in bad.stdout, bad.stdout

    # a task killed outright (as by the OOM killer) writes no result: accounting tells submitit
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    work, log_dir = tmp_path / 'killed', tmp_path / 'killed_submitit'
    ((job, ), ) = submit(_train_args(work, log_dir, 1, iters=100000))
    wait_until(lambda: any(work.glob('*/*.log')), 300, 'training to start')
    # the task's python, not srun (whose command line holds the same words after 'srun')
    subprocess.run(['pkill', '-KILL', '-f', f'^[^ ]*python -u -m submitit.core._submit {log_dir}'],
                   check=True)
    # forced: submitit's own look at accounting waits longer the longer the job has run
    wait_until(lambda: job.done(force_check=True), 180, 'submitit to see the job end')
    assert job.state == 'FAILED'
    with pytest.raises(submitit.core.utils.UncompletedJobError):
        job.result()
