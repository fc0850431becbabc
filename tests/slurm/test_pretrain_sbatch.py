"""slurm/pretrain.sh on the local Slurm cluster: DenseCL pretraining with 2 tasks through srun
and --launcher slurm; the warning Slurm sends before the time limit (USR1) requeues the job,
which resumes from its last checkpoint, ends at the schedule's last iteration and writes the
backbone."""
import os

import pytest

from conftest import REPO
from local_slurm import requeued_near_the_time_limit

pytestmark = pytest.mark.slurm

ITERS = 12


def test_pretrain_sh_two_tasks_requeues_itself_and_writes_the_backbone(slurm, scenes, tmp_path):
    work = tmp_path / 'work'
    env = dict(os.environ, TASKS_PER_NODE='2', CPUS_PER_TASK='1', TIME_LIMIT='30')
    log = requeued_near_the_time_limit(
        ['bash', str(REPO / 'slurm' / 'pretrain.sh'),
         str(REPO / 'configs/pretrain/densecl_r18_scenes_cpu.py'), '--images',
         str(scenes / 'train'), '--work-dir', str(work), '--cfg-options',
         f'train_cfg.max_iters={ITERS}', 'train_dataloader.batch_size=2', 'model.queue_len=32',
         'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=2'],
        env, work, tmp_path / 'logs')
    assert (work / 'last_checkpoint').read_text().strip().endswith(f'iter_{ITERS}.pth')
    assert f'backbone written to {work / "backbone.pth"}' in log
