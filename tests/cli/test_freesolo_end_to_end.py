"""FreeSOLO's central claim, end to end on the CPU with the real command lines: a SOLO model
trained on Free Mask's pseudo-labels segments the val scenes better (class-agnostic mask AP)
than the Free Mask labels of those same scenes do.

The slowest test of the suite (about 8 min on 2 cores: Free Mask over 304 images, then 1000
training iterations); the figures are in configs/freesolo_mobilenetv2_scenes_cpu.py.
"""
import json
import re

import pytest

from conftest import REPO, assert_ok, run, scenes_env

pytestmark = pytest.mark.slow

FREE_MASK = str(REPO / 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py')
FREESOLO = str(REPO / 'configs/freesolo_mobilenetv2_scenes_cpu.py')


def test_freesolo_beats_its_free_mask_labels(tmp_path):
    scenes, work = tmp_path / 'scenes', tmp_path / 'work'
    env = scenes_env(scenes)
    assert_ok(run(['tools/generate_scenes.py', str(scenes), '--num-train', '256',
                   '--num-val', '48']))
    labels = scenes / 'annotations' / 'free_mask_train.json'
    assert_ok(run(['tools/free_mask.py', FREE_MASK, '--images', str(scenes / 'train'),
                   '--out', str(labels), '--no-progress'], env=env))
    val_labels = work / 'free_mask_val.json'
    assert_ok(run(['tools/free_mask.py', FREE_MASK, '--images', str(scenes / 'val'),
                   '--out', str(val_labels), '--no-progress'], env=env))
    assert_ok(run(['tools/evaluate.py', str(scenes / 'annotations' / 'instances_val.json'),
                   str(val_labels), '--out', str(work / 'free_mask_val_metrics.json')]))
    free_mask_ap = json.loads((work / 'free_mask_val_metrics.json').read_text())

    assert_ok(run(['tools/train.py', FREESOLO, '--work-dir', str(work / 'train')], env=env,
                  timeout=1800))
    test = run(['tools/test.py', FREESOLO, str(work / 'train' / 'iter_1000.pth'),
                '--work-dir', str(work / 'test')], env=env)
    assert_ok(test)
    freesolo_ap = float(re.search(r'agnostic/segm_mAP: ([\d.]+)',
                                  test.stdout + test.stderr).group(1))
    print(f'class-agnostic mask AP on the val scenes: Free Mask labels '
          f'{free_mask_ap["segm"]["mAP"]:.4f}, FreeSOLO {freesolo_ap:.4f}')
    assert freesolo_ap > free_mask_ap['segm']['mAP'] > 0
