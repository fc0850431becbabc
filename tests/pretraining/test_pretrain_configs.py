"""The pretraining configs: DenseCL's values where they claim them, and their data pipelines
running as configured (mmpretrain's views with hue jitter, the collate function)."""
import itertools

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from PIL import Image

from conftest import REPO
from mmfreesolo.fileio.configs import load_config

PRETRAIN = REPO / 'configs' / 'pretrain'


def test_coco_config_holds_densecl_values():
    cfg = load_config(str(PRETRAIN / 'densecl_r50_coco.py'))
    model = cfg.model
    assert (model.type, model.backbone.depth) == ('DenseCL', 50)
    assert (model.queue_len, model.feat_dim, model.loss_lambda) == (65536, 128, 0.5)
    assert model.momentum == 0.001  # mmpretrain's EMA step: a momentum encoder of 0.999
    assert model.head.temperature == 0.2
    assert (model.neck.in_channels, model.neck.hid_channels, model.neck.out_channels) == (
        2048, 2048, 128)
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.momentum, optimizer.weight_decay) == (
        'SGD', 0.3, 0.9, 1e-4)
    assert cfg.train_cfg.max_epochs == 800 and cfg.param_scheduler[0].T_max == 800
    assert cfg.train_dataloader.batch_size * 8 == cfg.auto_scale_lr.base_batch_size == 256
    assert cfg.train_dataloader.dataset.type == 'UnlabeledImages'
    assert {'type': 'TorchRandomStateHook'} in cfg.custom_hooks
    assert load_config(str(PRETRAIN / 'densecl_r101_coco.py')).model.backbone.depth == 101


@pytest.mark.parametrize('config, jitter', [('densecl_r50_image_folder.py', True),
                                            ('densecl_r18_scenes_cpu.py', False)])
def test_pipelines_give_two_views(tmp_path, config, jitter):
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (60, 80, 3), np.uint8)).save(tmp_path / f'{i}.png')
    cfg = load_config(str(PRETRAIN / config))
    views = cfg.train_dataloader.dataset.pipeline[0].transforms[0]
    assert any(step['type'] == 'RandomApply' for step in views) == jitter
    cfg.train_dataloader.dataset.images = str(tmp_path)
    cfg.train_dataloader.update(batch_size=4, num_workers=0, persistent_workers=False)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batches = []  # three batches: hue jitter draws negative shifts too
    while len(batches) < 3:  # an epoch of DefaultSampler is one batch; InfiniteSampler's none
        batches.extend(itertools.islice(loader, 3 - len(batches)))
    for batch in batches:
        crop = views[0]['scale']
        assert len(batch['inputs']) == 2 and tuple(batch['inputs'][0].shape) == (4, 3, crop, crop)
