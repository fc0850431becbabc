"""FreeSOLO's central claim, end to end on the CPU with the real command lines: a SOLO model
trained on Free Mask's pseudo-labels segments the val scenes better (class-agnostic) than the
Free Mask labels of those same scenes do.

The slowest test of the suite (Free Mask over 304 images, then 1000 training iterations). It runs
at the config's full size, the smallest at which the claim held on every seed measured; it trains
with seed 7, on which no recipe choice was made, and asserts what held on every seed: mask AP,
recall (AR@100) and strict-overlap precision (AP75) well above the labels' (docs/benchmarks.md,
"The end-to-end test's size" and "The MobileNetV2 recipe over seeds").
"""
import json
import re

import pytest

from conftest import REPO, assert_ok, run, scenes_env

pytestmark = pytest.mark.slow

FREE_MASK = str(REPO / 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py')
FREESOLO = str(REPO / 'configs/freesolo_mobilenetv2_scenes_cpu.py')
SEED = 7
# About half the smallest gain of round 1 over its labels on seeds 0-2 and 7, and above round 1's
# spread over the seeds (docs/benchmarks.md). A run whose masks collapse is stopped by the
# config's MaskCollapseHook, its error line in the failure.
MARGINS = {'mAP': 0.027, 'AR@100': 0.04, 'mAP_75': 0.018}


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

    # the config validates on the val scenes once, after its last iteration (tools/test.py
    # would score the same model on the same scenes again)
    train = run(['tools/train.py', FREESOLO, '--work-dir', str(work / 'train'),
                 '--cfg-options', f'randomness.seed={SEED}'], env=env, timeout=1800)
    assert_ok(train)
    freesolo = {key: float(value) for key, value in re.findall(
        r'agnostic/segm_(mAP|mAP_75|AR@100): ([\d.]+)', train.stdout + train.stderr)}
    assert len(freesolo) == 3, 'validated once, at the end'
    free_mask = free_mask_ap['segm']
    print('class-agnostic on the val scenes, Free Mask labels vs FreeSOLO: ' + ', '.join(
        f'{key} {free_mask[key]:.4f} vs {freesolo[key]:.4f}'
        for key in ('mAP', 'mAP_75', 'AR@100')))
    assert free_mask['mAP'] > 0
    for key, margin in MARGINS.items():
        assert freesolo[key] - free_mask[key] > margin, (key, freesolo[key], free_mask[key])
