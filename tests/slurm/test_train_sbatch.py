"""slurm/train.sh on the local Slurm cluster: 2 tasks through srun and --launcher slurm; the
warning Slurm sends before the time limit (USR1 to the batch shell) requeues the job, which
resumes from its last checkpoint and ends at the schedule's last iteration."""
import json
import os

import pytest

from conftest import CPU_CONFIG, REPO, scenes_env
from local_slurm import requeued_near_the_time_limit

pytestmark = pytest.mark.slurm

ITERS = 30


def test_train_sh_two_tasks_requeues_itself_near_the_time_limit(slurm, scenes, tmp_path):
    work = tmp_path / 'work'
    env = dict(os.environ, **scenes_env(scenes), TASKS_PER_NODE='2', CPUS_PER_TASK='1',
               TIME_LIMIT='30')
    requeued_near_the_time_limit(
        ['bash', str(REPO / 'slurm' / 'train.sh'), CPU_CONFIG, '--work-dir', str(work),
         '--cfg-options', f'train_cfg.max_iters={ITERS}', f'train_cfg.val_interval={ITERS}',
         'default_hooks.checkpoint.interval=10', 'default_hooks.logger.interval=5'],
        env, work, tmp_path / 'logs')
    runs = []
    for scalars in sorted(work.glob('*/vis_data/scalars.json')):
        lines = [json.loads(line) for line in scalars.read_text().splitlines()]
        runs.append([line['iter'] for line in lines if 'loss' in line])
    assert len(runs) == 2 and runs[0][-1] < ITERS and runs[1][-1] == ITERS
    assert (work / 'last_checkpoint').read_text().strip().endswith(f'iter_{ITERS}.pth')
