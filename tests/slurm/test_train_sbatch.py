"""slurm/train.sh on the local Slurm cluster: 2 tasks through srun and --launcher slurm; the
warning Slurm sends before the time limit (USR1 to the batch shell) requeues the job, which
resumes from its last checkpoint and ends at the schedule's last iteration."""
import json
import os
import re
import subprocess

import pytest

from conftest import CPU_CONFIG, REPO, scenes_env
from local_slurm import release_requeued, wait_for_job, wait_until

pytestmark = pytest.mark.slurm

ITERS = 30


def test_train_sh_two_tasks_requeues_itself_near_the_time_limit(slurm, scenes, tmp_path):
    work = tmp_path / 'work'
    env = dict(os.environ, **scenes_env(scenes), TASKS_PER_NODE='2', CPUS_PER_TASK='1',
               LOG_DIR=str(tmp_path / 'logs'), TIME_LIMIT='30')
    submitted = subprocess.run(
        ['bash', str(REPO / 'slurm' / 'train.sh'), CPU_CONFIG, '--work-dir', str(work),
         '--cfg-options', f'train_cfg.max_iters={ITERS}', f'train_cfg.val_interval={ITERS}',
         'default_hooks.checkpoint.interval=10', 'default_hooks.logger.interval=5'],
        cwd=tmp_path, env=env, capture_output=True, text=True)
    assert submitted.returncode == 0, submitted.stderr
    job_id = re.search(r'Submitted batch job (\d+)', submitted.stdout).group(1)

    wait_until(lambda: (work / 'last_checkpoint').exists(), 300, 'the first checkpoint')
    subprocess.run(['scancel', '--batch', '--signal', 'USR1', job_id], check=True)
    release_requeued(job_id)
    assert wait_for_job(job_id) == 'COMPLETED'

    (log, ) = (tmp_path / 'logs').glob(f'freesolo-train-{job_id}.out')
    text = log.read_text()
    assert f'time limit near: requeueing job {job_id}' in text
    assert text.count('Distributed training: True') == 2, 'two starts, each distributed'
    assert re.search(r'resumed epoch: 0, iter: [1-9]', text)
    runs = []
    for scalars in sorted(work.glob('*/vis_data/scalars.json')):
        lines = [json.loads(line) for line in scalars.read_text().splitlines()]
        runs.append([line['iter'] for line in lines if 'loss' in line])
    assert len(runs) == 2 and runs[0][-1] < ITERS and runs[1][-1] == ITERS
    assert (work / 'last_checkpoint').read_text().strip().endswith(f'iter_{ITERS}.pth')
