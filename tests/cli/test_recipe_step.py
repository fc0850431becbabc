"""One training step of the COCO release recipe (ResNet-50) through tools/train.py on generated
scenes, with TrainingViewsHook drawing each image's weak view beside its pasted strong view."""
import json

import cv2
import pytest
import torch
from mmdet.models.backbones import ResNet

from conftest import REPO, assert_ok, run

pytestmark = pytest.mark.slow


def test_r50_recipe_trains_a_step_and_draws_its_views(scenes, tmp_path):
    labels = json.loads((scenes / 'annotations' / 'instances_train.json').read_text())
    for ann in labels['annotations']:
        ann['score'] = 0.9
    (tmp_path / 'labels.json').write_text(json.dumps(labels))
    torch.manual_seed(0)
    torch.save({'state_dict': ResNet(depth=50).state_dict()}, tmp_path / 'densecl_r50.pth')
    config = tmp_path / 'recipe_step.py'
    config.write_text(f"""
_base_ = '{REPO}/configs/freesolo_r50_coco.py'
model = dict(backbone=dict(init_cfg=dict(checkpoint='{tmp_path}/densecl_r50.pth')))
train_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    data_root='{scenes}/', ann_file='{tmp_path}/labels.json', data_prefix=dict(img='train/')))
train_cfg = dict(max_iters=1, val_interval=10)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
self_training = None
custom_hooks = [dict(type='TrainingViewsHook', num_iters=1)]
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
""")
    result = run(['tools/train.py', str(config), '--work-dir', str(tmp_path / 'work'),
                  '--cfg-options',  # small views for the CPU
                  'train_dataloader.dataset.pipeline.2.scales=[(320,256),(320,288)]'],
                 timeout=900)
    assert_ok(result)
    pictures = sorted((tmp_path / 'work' / 'training_views').glob('iter_1_*.png'))
    assert len(pictures) == 2, 'one picture per image of the batch'
    for path in pictures:
        image = cv2.imread(str(path))
        # two panels of a square 256 or 288 px view side by side, under their titles
        side = image.shape[0] - 22
        assert side in (256, 288) and image.shape[1] == 2 * side + 6
    (log, ) = (tmp_path / 'work').glob('*/vis_data/scalars.json')
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line['iter'] for line in lines if 'loss' in line] == [1]
    assert {'loss_mask_max', 'loss_mask_avg', 'loss_pairwise', 'loss_cls'} <= set(lines[0])
