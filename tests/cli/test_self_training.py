"""tools/self_train.py end to end on generated scenes: DenseCL pretraining, Free Mask, then two
rounds that start from the pretrained backbone, each labelling the images for the next; a
finished run redoes nothing. Stopped in each of these stages and run again, the same pipeline
ends with the same weights and labels: tests/cli/test_demo.py."""
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from PIL import Image

import mmfreesolo  # noqa: F401  mmengine checkpoints' types allowed for torch.load
from conftest import REPO, assert_ok, assert_one_line_error, label_content, run, scenes_env
from mmfreesolo.cli import self_train as self_train_cli

pytestmark = pytest.mark.slow


def _self_train(config, work_dir):
    return ['tools/self_train.py', str(config), '--rounds', '2', '--work-dir', str(work_dir)]


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


def test_config_without_self_training_section(tmp_path, in_process):
    result = in_process(self_train_cli.main, [
        str(REPO / 'configs' / 'solov2_r18_scenes_cpu.py'), '--work-dir', str(tmp_path)])
    assert_one_line_error(result, 'no self_training section')


PRETRAINED_ITERS = 10
LABEL_THR = 0.005
PRETRAINED_TEST_CONFIG = f"""
_base_ = '{REPO}/configs/freesolo_r18_densecl_scenes_cpu.py'
train_cfg = dict(max_iters={PRETRAINED_ITERS}, val_interval={PRETRAINED_ITERS})
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=2), logger=dict(interval=5))
train_dataloader = dict(dataset=dict(min_score=0.0))
# 10 iterations at the full LR, scores above half the classifier's prior (0.01) kept: enough for
# every round to have labels, which are the plumbing here
param_scheduler = []
model = dict(test_cfg=dict(score_thr={LABEL_THR}, filter_thr=0.0))
custom_hooks = [dict(type='SelfTrainingHook', score_thr={LABEL_THR}, max_per_img=20)]
self_training = dict(
    pretrain=dict(cfg_options={{'model.queue_len': 32, 'train_dataloader.batch_size': 4,
                                'train_cfg.max_iters': 6}}))
"""


def test_from_a_folder_of_images_pretraining_first(tmp_path):
    """One command from unlabeled images to a model: DenseCL pretraining, Free Mask from its
    backbone, two rounds that start from it, each labelling the images for the next."""
    scenes = tmp_path / 'scenes'
    assert_ok(run(['tools/generate_scenes.py', str(scenes), '--num-train', '16', '--num-val',
                   '4', '--size', '128', '128']))
    config = tmp_path / 'pretrained_test.py'
    config.write_text(PRETRAINED_TEST_CONFIG)

    work = tmp_path / 'work'
    result = run(_self_train(config, work), env=scenes_env(scenes), timeout=1200)
    assert_ok(result)
    assert '== pretraining ResNet-18 on' in result.stdout
    assert 'mask AP' in result.stdout and 'round_2' in result.stdout  # the printed table
    summary = json.loads((work / 'summary.json').read_text())
    backbone = work / 'pretrain' / 'backbone.pth'
    assert summary['pretrain']['backbone'] == str(backbone)
    assert [s['stage'] for s in summary['stages']] == ['free_mask', 'round_1', 'round_2']
    for stage in summary['stages']:
        assert 0 <= stage['val']['segm_mAP'] <= 1 and 'bbox_mAP_50' in stage['val']
    with Image.open(work / 'summary.png') as png:
        assert png.size[0] > 300 and png.size[1] > 100
    free_mask_labels = scenes / 'annotations' / 'free_mask_train.json'
    labels = json.loads(free_mask_labels.read_text())
    assert labels['info']['checkpoint'] == str(backbone), 'Free Mask used the pretrained backbone'
    # the rounds start from it (the backbone is trained whole): ten steps a round at LR 0.002
    # leave the stem within a tenth of its norm of the pretrained one, which another init is not
    pretrained = _weights(backbone)['backbone.conv1.weight']
    for r in (1, 2):
        trained = _weights(work / f'round_{r}' / f'iter_{PRETRAINED_ITERS}.pth')
        drift = (trained['backbone.conv1.weight'] - pretrained).norm()
        assert 0 < drift < 0.1 * pretrained.norm(), (r, float(drift), float(pretrained.norm()))

    # round 1 labels the training images for round 2, with the hook's thresholds
    round_2_labels = work / 'round_1' / 'self_training_labels.json'
    assert summary['stages'][1]['trained_on'] == str(free_mask_labels)
    assert summary['stages'][2]['trained_on'] == str(round_2_labels)
    images, annotations = label_content(round_2_labels)
    assert annotations, 'round 1 labelled something'
    assert label_content(free_mask_labels)[1] != annotations
    assert len(images) == 16
    per_image = {}
    for ann in annotations:
        per_image[ann['image_id']] = per_image.get(ann['image_id'], 0) + 1
        assert ann['score'] >= LABEL_THR
        assert ann['bbox'][2] < 0.95 * 128
        ys, xs = np.nonzero(mask_utils.decode(ann['segmentation']))
        assert ann['bbox'] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                               ys.max() - ys.min() + 1]
    assert max(per_image.values()) <= 20
    manifest = json.loads((work / 'round_1' / 'self_training_labels.manifest.json')
                          .read_text())
    assert manifest['num_masks'] == len(annotations) == summary['stages'][2]['num_masks']
    assert manifest['iter'] == PRETRAINED_ITERS
    assert manifest['checkpoint'].endswith(f'iter_{PRETRAINED_ITERS}.pth')
    assert not (work / 'round_2' / 'self_training_labels.json').exists(), 'last round'

    # done is done: a second run redoes nothing (stopped and continued: tests/cli/test_demo.py)
    again = run(_self_train(config, work), env=scenes_env(scenes))
    assert_ok(again)
    assert again.stdout.count('done before') == 2 and 'Iter(train)' not in again.stdout


def test_pretraining_another_architecture_is_one_line(tmp_path, in_process):
    config = tmp_path / 'mismatch.py'
    config.write_text(f"""
_base_ = '{REPO}/configs/freesolo_r18_densecl_scenes_cpu.py'
self_training = dict(pretrain=dict(config='{REPO}/configs/pretrain/densecl_r50_coco.py',
                                   images='{tmp_path}'))
""")
    (tmp_path / 'x.png').write_bytes(b'')
    result = in_process(self_train_cli.main, _self_train(config, tmp_path / 'w')[1:])
    assert_one_line_error(result, 'densecl_r50_coco.py pretrains a ResNet-50',
                          'freemask_r18_densecl_scenes_cpu.py has a ResNet-18 backbone')
