"""Two processes on gloo through mmengine's distributed code paths, on a machine without GPU."""
import json
import os
import subprocess
import sys

import pytest

from conftest import CPU_CONFIG, REPO, assert_ok, free_port, run, scenes_env

pytestmark = pytest.mark.slow

TWO_ITERS = ['--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
             'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1']


def _check_distributed_run(work_dir, output):
    assert 'Distributed training: True' in output
    assert (work_dir / 'iter_2.pth').exists()
    (log, ) = work_dir.glob('*/vis_data/scalars.json')
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line['iter'] for line in lines if 'loss' in line] == [1, 2]
    assert any('agnostic/segm_mAP' in line for line in lines), 'validation gathered over ranks'


def test_pytorch_launcher_two_processes(scenes, tmp_path):
    """tools/dist_train.sh, mmdet's way to train on the GPUs of a node, here on gloo."""
    env = dict(os.environ, **scenes_env(scenes), PYTHON=sys.executable, PORT=str(free_port()),
               PYTHONUNBUFFERED='1')
    result = subprocess.run(['bash', 'tools/dist_train.sh', CPU_CONFIG, '2', '--work-dir',
                             str(tmp_path)] + TWO_ITERS, cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=600)
    assert_ok(result)
    _check_distributed_run(tmp_path, result.stdout + result.stderr)


def test_slurm_launcher_two_processes(scenes, tmp_path):
    """The variables srun sets for two tasks on one node; MASTER_ADDR spares scontrol."""
    port = str(free_port())
    procs = []
    for rank in range(2):
        env = dict(os.environ, **scenes_env(scenes), SLURM_PROCID=str(rank), SLURM_NTASKS='2',
                   SLURM_LOCALID=str(rank), SLURM_NODELIST='localhost',
                   MASTER_ADDR='127.0.0.1', MASTER_PORT=port, PYTHONUNBUFFERED='1')
        procs.append(subprocess.Popen(
            [sys.executable, 'tools/train.py', CPU_CONFIG, '--launcher', 'slurm', '--work-dir',
             str(tmp_path)] + TWO_ITERS, cwd=REPO, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out[-5000:]
    _check_distributed_run(tmp_path, outputs[0])


LABEL_ONLY_CONFIG = f"""
_base_ = '{REPO}/configs/freesolo_mobilenetv2_scenes_cpu.py'
train_cfg = dict(max_iters=0)  # no training: the initialised model labels the images
train_dataloader = dict(dataset=dict(ann_file='annotations/instances_train.json'))
model = dict(test_cfg=dict(score_thr=0.0, filter_thr=0.0))
custom_hooks = [dict(type='SelfTrainingHook', score_thr=0.005, chunk_size=3)]
"""


def test_self_training_labels_over_two_processes_equal_one_process(scenes, tmp_path):
    """Chunks of 3 of the 8 images dealt to 2 ranks: each image labelled once, by one rank,
    and rank 0 writes the same file as a single process."""
    config = tmp_path / 'label_only.py'
    config.write_text(LABEL_ONLY_CONFIG)
    # one thread a process, as torch.distributed.run gives each rank: the untrained model's
    # scores are near ties, which a thread count's different float sums can reorder
    env = dict(scenes_env(scenes), OMP_NUM_THREADS='1')
    assert_ok(run(['tools/train.py', str(config), '--work-dir', str(tmp_path / 'one')],
                  env=env))
    two = run(['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port',
               str(free_port()), 'tools/train.py', str(config), '--launcher', 'pytorch',
               '--work-dir', str(tmp_path / 'two')], env=env)
    assert_ok(two)
    assert 'labelling 8 training images' in two.stdout and '(2 process(es))' in two.stdout
    one_labels = json.loads((tmp_path / 'one' / 'self_training_labels.json').read_text())
    two_labels = json.loads((tmp_path / 'two' / 'self_training_labels.json').read_text())
    assert two_labels == one_labels
    assert len(one_labels['images']) == 8 and one_labels['annotations']
    assert len({img['id'] for img in one_labels['images']}) == 8
