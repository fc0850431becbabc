"""The supervised upper bound of the CPU FreeSOLO config differs from it only in what it learns
from: the scenes' ground-truth masks through SOLOv2's own head and loss (and in FreeSOLOHead's
own cut of each predicted mask to its largest piece, which SOLOv2's head does not have)."""
from functools import reduce

import pytest
from mmengine.config import Config

from conftest import REPO

BOUNDS = [('freesolo_mobilenetv2_scenes_cpu.py', 'solov2_mobilenetv2_scenes_cpu.py'),
          ('freesolo_r18_densecl_scenes_cpu.py', 'solov2_r18_densecl_scenes_cpu.py'),
          ('freesolo_r18_gn_scenes_cpu.py', 'solov2_r18_gn_scenes_cpu.py')]


def _get(cfg, key):
    return reduce(lambda node, name: node[name], key.split('.'), cfg)


@pytest.mark.parametrize('freesolo, supervised', BOUNDS)
def test_same_detector_schedule_and_images_other_labels_and_loss(freesolo, supervised):
    freesolo = Config.fromfile(str(REPO / 'configs' / freesolo))
    supervised = Config.fromfile(str(REPO / 'configs' / supervised))
    for key in ('model.backbone', 'model.neck', 'train_cfg', 'optim_wrapper', 'param_scheduler',
                'randomness', 'train_dataloader.batch_size', 'train_dataloader.sampler',
                'val_dataloader'):
        assert _get(freesolo, key) == _get(supervised, key), key
    own = {k: v for k, v in freesolo.model.test_cfg.items() if k != 'largest_piece'}
    assert own == supervised.model.test_cfg
    for key in ('num_classes', 'in_channels', 'feat_channels', 'stacked_convs',
                'mask_feature_head'):
        assert freesolo.model.mask_head[key] == supervised.model.mask_head[key], key
    assert freesolo.model.mask_head.type == 'FreeSOLOHead'
    assert supervised.model.mask_head.type == 'SOLOV2Head'
    assert supervised.model.mask_head.loss_mask.type == 'DiceLoss'
    assert supervised.train_dataloader.dataset.ann_file == 'annotations/instances_train.json'
    assert [t['type'] for t in supervised.train_dataloader.dataset.pipeline] == [
        t['type'] for t in freesolo.train_dataloader.dataset.pipeline]
