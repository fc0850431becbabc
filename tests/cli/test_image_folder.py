"""A folder of one's own images, no annotations anywhere: tools/self_train.py with the CPU
image-folder config runs Free Mask and two rounds without validation, skipping a corrupt file
and warning that a large image is shrunk, and tools/demo.py draws the final model on the
folder."""
import json
import shutil

import cv2
import pytest

from conftest import REPO, assert_ok, run

pytestmark = pytest.mark.slow

CONFIG = f"""
_base_ = '{REPO}/configs/freesolo_mobilenetv2_image_folder_cpu.py'
train_cfg = dict(max_iters=10, val_interval=10)
default_hooks = dict(checkpoint=dict(interval=10), logger=dict(interval=5))
# 8 images and 10 iterations: loose cuts, so that every round has labels to train on
train_dataloader = dict(dataset=dict(min_score=0.6))
model = dict(test_cfg=dict(score_thr=0.01, filter_thr=0.0))
custom_hooks = [dict(type='SelfTrainingHook', score_thr=0.01)]
"""


def test_self_training_on_a_folder_without_annotations(scenes, tmp_path):
    data = tmp_path / 'my_images'
    images = data / 'images'
    shutil.copytree(scenes / 'train', images / 'part_a')
    large = cv2.imread(str(images / 'part_a' / '000008.png'))
    (images / 'part_a' / '000008.png').unlink()
    cv2.imwrite(str(images / 'top.png'), cv2.resize(large, (320, 320)))
    (images / 'broken.png').write_bytes(b'\x89PNG not really')
    config = tmp_path / 'mine.py'
    config.write_text(CONFIG)
    env = dict(MMFREESOLO_DATA=str(data) + '/')
    work = tmp_path / 'work'
    result = run(['tools/self_train.py', str(config), '--rounds', '2', '--work-dir', str(work)],
                 env=env, timeout=1200)
    assert_ok(result)
    assert ('warning: 1 of 8 images are shrunk to the training scale 128 px, by up to 2.5x'
            in result.stdout + result.stderr)

    labels = json.loads((data / 'free_mask_labels.json').read_text())
    assert [s['file_name'] for s in labels['info']['skipped']] == ['broken.png']
    assert len(labels['images']) == 8 and labels['images'][-1]['file_name'] == 'top.png'
    summary = json.loads((work / 'summary.json').read_text())
    assert [s['stage'] for s in summary['stages']] == ['free_mask', 'round_1', 'round_2']
    assert all('val' not in s for s in summary['stages']), 'no ground truth, no validation'
    assert (work / 'summary.png').exists()
    made = json.loads((work / 'round_1' / 'self_training_labels.json').read_text())
    # the rounds label the images of Free Mask's file, which the unreadable one is not among
    assert [img['file_name'] for img in made['images']] == [
        img['file_name'] for img in labels['images']] and made['info']['skipped'] == []

    out = tmp_path / 'overlays'
    drawn = run(['tools/demo.py', str(images), '--config', str(config), '--checkpoint',
                 str(work / 'round_2' / 'iter_10.pth'), '--out', str(out), '--score-thr', '0.01'],
                env=env)
    assert_ok(drawn)
    assert 'skipped broken.png' in drawn.stdout
    assert len(list(out.glob('*.png'))) == 8
