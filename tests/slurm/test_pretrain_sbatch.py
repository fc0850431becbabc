"""slurm/pretrain.sh on the local Slurm cluster: DenseCL pretraining with 2 tasks through srun
and --launcher slurm; the warning Slurm sends before the time limit (USR1) requeues the job,
which resumes from its last checkpoint, ends at the schedule's last iteration and writes the
backbone."""
import os
import re
import subprocess

import pytest

from conftest import REPO
from local_slurm import release_requeued, wait_for_job, wait_until

pytestmark = pytest.mark.slurm

ITERS = 12


def test_pretrain_sh_two_tasks_requeues_itself_and_writes_the_backbone(slurm, scenes, tmp_path):
    work = tmp_path / 'work'
    env = dict(os.environ, TASKS_PER_NODE='2', CPUS_PER_TASK='1', LOG_DIR=str(tmp_path / 'logs'),
               TIME_LIMIT='30')
    submitted = subprocess.run(
        ['bash', str(REPO / 'slurm' / 'pretrain.sh'),
         str(REPO / 'configs/pretrain/densecl_r18_scenes_cpu.py'), '--images',
         str(scenes / 'train'), '--work-dir', str(work), '--cfg-options',
         f'train_cfg.max_iters={ITERS}', 'train_dataloader.batch_size=2', 'model.queue_len=32',
         'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=2'],
        cwd=tmp_path, env=env, capture_output=True, text=True)
    assert submitted.returncode == 0, submitted.stderr
    job_id = re.search(r'Submitted batch job (\d+)', submitted.stdout).group(1)

    wait_until(lambda: (work / 'last_checkpoint').exists(), 300, 'the first checkpoint')
    subprocess.run(['scancel', '--batch', '--signal', 'USR1', job_id], check=True)
    release_requeued(job_id)
    assert wait_for_job(job_id) == 'COMPLETED'

    (log, ) = (tmp_path / 'logs').glob(f'freesolo-pretrain-{job_id}.out')
    text = log.read_text()
    assert f'time limit near: requeueing job {job_id}' in text
    assert text.count('Distributed training: True') == 2, 'two starts, each distributed'
    assert re.search(r'resumed epoch: 0, iter: [1-9]', text)
    assert (work / 'last_checkpoint').read_text().strip().endswith(f'iter_{ITERS}.pth')
    assert f'backbone written to {work / "backbone.pth"}' in text
