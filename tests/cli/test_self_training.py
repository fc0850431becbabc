"""tools/self_train.py end to end on generated scenes: Free Mask, then two rounds; killed
(SIGKILL) during Free Mask, during round-1 training and during the labelling that follows it,
then run again, it ends with the same labels and weights as an uninterrupted run."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from PIL import Image

from conftest import REPO, assert_ok, assert_one_line_error, run, scenes_env

pytestmark = pytest.mark.slow

ITERS = 30
TEST_CONFIG = f"""
_base_ = '{REPO}/configs/freesolo_mobilenetv2_scenes_cpu.py'
train_cfg = dict(max_iters={ITERS}, val_interval={ITERS})
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3), logger=dict(interval=10))
# 16 scenes and 30 iterations: looser cuts than the 1000-iteration config's, so that every
# round has labels to train on
train_dataloader = dict(dataset=dict(min_score=0.6))
model = dict(test_cfg=dict(score_thr=0.05))
custom_hooks = [dict(type='SelfTrainingHook', score_thr=0.1, max_per_img=20, chunk_size=2)]
self_training = dict(free_mask=dict(chunk_size=4))
"""


def _self_train(config, work_dir):
    return ['tools/self_train.py', str(config), '--rounds', '2', '--work-dir', str(work_dir)]


def _kill_when(args, env, log, ready, what):
    """Start the command, SIGKILL it (and its children) as soon as ``ready()``."""
    with open(log, 'a') as out:
        proc = subprocess.Popen([sys.executable] + args, cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env=dict(os.environ, PYTHONUNBUFFERED='1', **env))
    deadline = time.time() + 600
    while not ready():
        assert proc.poll() is None, f'finished before the kill {what}:\n{log.read_text()[-3000:]}'
        assert time.time() < deadline, f'no kill point {what}'
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _label_content(path):
    data = json.loads(Path(path).read_text())
    return data['images'], data['annotations']


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


def _assert_same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), key


def test_two_rounds_and_resuming_after_kills(tmp_path):
    scenes = tmp_path / 'scenes'
    assert_ok(run(['tools/generate_scenes.py', str(scenes), '--num-train', '16', '--num-val',
                   '4', '--size', '128', '128']))
    config = tmp_path / 'self_train_test.py'
    config.write_text(TEST_CONFIG)

    # uninterrupted
    scenes_a, work_a = tmp_path / 'scenes_a', tmp_path / 'a'
    shutil.copytree(scenes, scenes_a)
    result = run(_self_train(config, work_a), env=scenes_env(scenes_a), timeout=1200)
    assert_ok(result)
    summary = json.loads((work_a / 'summary.json').read_text())
    assert [s['stage'] for s in summary['stages']] == ['free_mask', 'round_1', 'round_2']
    for stage in summary['stages']:
        assert 0 <= stage['val']['segm_mAP'] <= 1 and 'bbox_mAP_50' in stage['val']
    assert 'mask AP' in result.stdout and 'round_2' in result.stdout  # the printed table
    with Image.open(work_a / 'summary.png') as png:
        assert png.size[0] > 300 and png.size[1] > 100

    free_mask_labels = scenes_a / 'annotations' / 'free_mask_train.json'
    round_2_labels = work_a / 'round_1' / 'self_training_labels.json'
    assert summary['stages'][1]['trained_on'] == str(free_mask_labels)
    assert summary['stages'][2]['trained_on'] == str(round_2_labels)
    images, annotations = _label_content(round_2_labels)
    assert annotations, 'round 1 labelled something'
    assert _label_content(free_mask_labels)[1] != annotations
    assert len(images) == 16
    per_image = {}
    for ann in annotations:  # the hook's thresholds
        per_image[ann['image_id']] = per_image.get(ann['image_id'], 0) + 1
        assert ann['score'] >= 0.1
        assert ann['bbox'][2] < 0.95 * 128
        ys, xs = np.nonzero(mask_utils.decode(ann['segmentation']))
        assert ann['bbox'] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                               ys.max() - ys.min() + 1]
    assert max(per_image.values()) <= 20
    manifest = json.loads((work_a / 'round_1' / 'self_training_labels.manifest.json')
                          .read_text())
    assert manifest['num_masks'] == len(annotations) == summary['stages'][2]['num_masks']
    assert manifest['iter'] == ITERS and manifest['checkpoint'].endswith(f'iter_{ITERS}.pth')
    assert not (work_a / 'round_2' / 'self_training_labels.json').exists(), 'last round'

    # killed three times, then completed
    scenes_b, work_b = tmp_path / 'scenes_b', tmp_path / 'b'
    shutil.copytree(scenes, scenes_b)
    env, log = scenes_env(scenes_b), tmp_path / 'b.log'
    fm_parts = scenes_b / 'annotations' / 'free_mask_train.json.parts'
    _kill_when(_self_train(config, work_b), env, log,
               lambda: (fm_parts / 'chunk-000000.json').exists(), 'during Free Mask')
    assert not (scenes_b / 'annotations' / 'free_mask_train.json').exists()
    # mmengine writes last_checkpoint once iter_10.pth is complete
    _kill_when(_self_train(config, work_b), env, log,
               lambda: (work_b / 'round_1' / 'last_checkpoint').exists(), 'during training')
    assert not (work_b / 'round_1' / f'iter_{ITERS}.pth').exists()
    labels_parts = work_b / 'round_1' / 'self_training_labels.json.parts'
    _kill_when(_self_train(config, work_b), env, log,
               lambda: (labels_parts / 'chunk-000000.json').exists(), 'during labelling')
    assert not (work_b / 'round_1' / 'self_training_labels.manifest.json').exists()
    resumed = run(_self_train(config, work_b), env=env, timeout=1200)
    assert_ok(resumed)
    log.write_text(log.read_text() + resumed.stdout)
    assert 'Advance dataloader 10 steps' in log.read_text(), 'training resumed at iter 10'

    assert (_label_content(scenes_b / 'annotations' / 'free_mask_train.json') ==
            _label_content(free_mask_labels))
    assert (_label_content(work_b / 'round_1' / 'self_training_labels.json') ==
            (images, annotations))
    for r in (1, 2):
        _assert_same_weights(work_a / f'round_{r}' / f'iter_{ITERS}.pth',
                             work_b / f'round_{r}' / f'iter_{ITERS}.pth')
        assert (work_b / f'round_{r}' / 'last_checkpoint').read_text().endswith(
            f'iter_{ITERS}.pth'), 'no iteration past the schedule'
    summary_b = json.loads((work_b / 'summary.json').read_text())
    assert ([s['val'] for s in summary_b['stages']] == [s['val'] for s in summary['stages']])

    # done is done: a third run redoes nothing
    again = run(_self_train(config, work_b), env=env)
    assert_ok(again)
    assert again.stdout.count('done before') == 2 and 'Iter(train)' not in again.stdout


def test_config_without_self_training_section(tmp_path):
    result = run(['tools/self_train.py', str(REPO / 'configs' / 'solov2_r18_scenes_cpu.py'),
                  '--work-dir', str(tmp_path)])
    assert_one_line_error(result, 'no self_training section')
