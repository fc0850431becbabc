"""slurm/self_train.sh on the local Slurm cluster: Free Mask and two rounds of self-training by
2 tasks (srun, --launcher slurm), each image labelled by one rank."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import REPO, scenes_env
from local_slurm import wait_for_job

pytestmark = pytest.mark.slurm

CONFIG = f"""
_base_ = '{REPO}/configs/freesolo_mobilenetv2_scenes_cpu.py'
train_cfg = dict(max_iters=10, val_interval=10)
default_hooks = dict(checkpoint=dict(interval=10), logger=dict(interval=5))
# 8 scenes and 10 iterations: loose cuts, so that every round has labels to train on
train_dataloader = dict(dataset=dict(min_score=0.6))
model = dict(test_cfg=dict(score_thr=0.01, filter_thr=0.0))
custom_hooks = [dict(type='SelfTrainingHook', score_thr=0.01, chunk_size=2)]
self_training = dict(free_mask=dict(chunk_size=2))
"""


def test_self_train_sh_two_tasks(slurm, scenes, tmp_path):
    data = tmp_path / 'scenes'
    shutil.copytree(scenes, data)  # Free Mask writes its labels beside the annotations
    config = tmp_path / 'self_train_test.py'
    config.write_text(CONFIG)
    work = tmp_path / 'work'
    env = dict(os.environ, **scenes_env(data), TASKS_PER_NODE='2', CPUS_PER_TASK='1',
               LOG_DIR=str(tmp_path / 'logs'), TIME_LIMIT='30')
    submitted = subprocess.run(
        ['bash', str(REPO / 'slurm' / 'self_train.sh'), str(config), '--rounds', '2',
         '--work-dir', str(work)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert submitted.returncode == 0, submitted.stderr
    job_id = re.search(r'Submitted batch job (\d+)', submitted.stdout).group(1)
    state = wait_for_job(job_id, 900)
    (log, ) = (tmp_path / 'logs').glob(f'freesolo-self-train-{job_id}.out')
    text = log.read_text()
    assert state == 'COMPLETED', text[-5000:]

    summary = json.loads((work / 'summary.json').read_text())
    assert [s['stage'] for s in summary['stages']] == ['free_mask', 'round_1', 'round_2']
    assert summary['stages'][0]['num_images'] == 8
    assert 'labelling 8 training images' in text and '(2 process(es))' in text
    assert text.count('Distributed training: True') >= 2, 'both rounds trained on 2 ranks'
    labels = json.loads((work / 'round_1' / 'self_training_labels.json').read_text())
    assert sorted(img['id'] for img in labels['images']) == list(range(1, 9))
