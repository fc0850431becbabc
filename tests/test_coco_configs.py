"""The release-recipe COCO configs: they parse, build, load a DenseCL-style backbone strictly,
and one two-view, copy-pasted training step runs on generated data."""
import json

import pytest
import torch
from mmdet.models.backbones import ResNet
from mmdet.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import mmfreesolo  # noqa: F401
from conftest import REPO
from mmfreesolo.errors import UserInputError

init_default_scope('mmdet')


def config(name, backbone_checkpoint):
    cfg = Config.fromfile(str(REPO / 'configs' / name))
    cfg.model.backbone.init_cfg.checkpoint = str(backbone_checkpoint)
    return cfg


@pytest.fixture(scope='module')
def densecl_r50(tmp_path_factory):
    """A DenseCL-layout file ({'state_dict': torchvision-style keys}) of a random ResNet-50."""
    path = tmp_path_factory.mktemp('ck') / 'densecl_r50.pth'
    torch.manual_seed(0)
    torch.save({'state_dict': ResNet(depth=50).state_dict()}, path)
    return path


def test_release_recipe_values():
    cfg = Config.fromfile(str(REPO / 'configs' / 'freesolo_r50_coco.py'))
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=0.001, momentum=0.9,
                                               weight_decay=1e-4)
    assert cfg.param_scheduler == [dict(type='LinearLR', start_factor=0.01, by_epoch=False,
                                        begin=0, end=1000)]
    assert cfg.train_cfg.max_iters == 30000 and cfg.auto_scale_lr.base_batch_size == 16
    assert cfg.model.backbone.norm_eval and not cfg.model.backbone.norm_cfg.requires_grad
    head = cfg.model.mask_head
    assert (head.type, head.num_classes) == ('FreeSOLOHead', 1)
    assert head.loss_mask_avg.loss_weight == 0.1 and head.loss_pairwise.warmup_iters == 1000
    assert head.loss_pairwise.color_thr == 0.3
    assert cfg.val_evaluator.type == 'ClassAgnosticCocoMetric'
    r101 = Config.fromfile(str(REPO / 'configs' / 'freesolo_r101_coco.py'))
    assert r101.model.backbone.depth == 101
    assert r101.model.backbone.init_cfg.checkpoint.endswith('densecl_r101_imagenet_200ep.pth')
    assert r101.train_dataloader.dataset.dataset.ann_file == 'free_mask/train2017_r101.json'
    # self-training: each depth's own Free Mask config, on train2017's images and ids
    for recipe, depth in ((cfg, 50), (r101, 101)):
        free_mask = recipe.self_training.free_mask
        assert free_mask.config == str(REPO / 'configs' / 'free_mask' /
                                       f'freemask_r{depth}_coco.py')
        assert Config.fromfile(free_mask.config).model.backbone.depth == depth
        assert free_mask.ann_file.endswith('instances_train2017.json')
        assert recipe.self_training.init == 'config'  # every round restarts from DenseCL


def test_backbone_checkpoint_loads_strictly(densecl_r50):
    model = MODELS.build(config('freesolo_r50_coco.py', densecl_r50).model)
    model.init_weights()
    expected = torch.load(densecl_r50, weights_only=True)['state_dict']
    torch.testing.assert_close(model.backbone.layer4[2].conv3.weight,
                               expected['layer4.2.conv3.weight'])
    r101 = MODELS.build(config('freesolo_r101_coco.py', densecl_r50).model)
    with pytest.raises(UserInputError, match='holds a ResNet-50, but the config\'s backbone is '
                       'a ResNet-101'):
        r101.init_weights()


def test_two_view_copy_paste_training_step(scenes, tmp_path, densecl_r50):
    labels = json.loads((scenes / 'annotations' / 'instances_train.json').read_text())
    for ann in labels['annotations']:
        ann['score'] = 0.9
    (tmp_path / 'labels.json').write_text(json.dumps(labels))
    cfg = config('freesolo_r50_coco.py', densecl_r50)
    inner = cfg.train_dataloader.dataset.dataset
    inner.update(data_root=str(scenes), ann_file=str(tmp_path / 'labels.json'),
                 data_prefix=dict(img='train/'))
    inner.pipeline[2].scales = [(256, 128), (256, 160)]   # small images for the CPU
    dataset = DATASETS.build(cfg.train_dataloader.dataset)

    sample = dataset[0]
    weak, strong = sample['data_samples']['weak'], sample['data_samples']['strong']
    assert weak.img_shape == strong.img_shape
    assert torch.equal(torch.as_tensor(weak.gt_instances.masks.masks),
                       torch.as_tensor(strong.gt_instances.masks.masks))
    assert len(weak.gt_instances.scores) == len(weak.gt_instances)

    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(pseudo_collate([dataset[0], dataset[1]]), training=True)
    assert data['inputs'].shape[0] == 4                  # 2 images x (weak, strong)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_mask_max', 'loss_mask_avg', 'loss_pairwise', 'loss_cls'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.mask_head.conv_kernel.weight.grad.abs().sum() > 0


def test_image_folder_config_is_the_recipe_on_a_folder_without_validation():
    cfg = Config.fromfile(str(REPO / 'configs' / 'freesolo_r50_image_folder.py'))
    recipe = Config.fromfile(str(REPO / 'configs' / 'freesolo_r50_coco.py'))
    labels = cfg.train_dataloader.dataset.dataset
    assert (labels.data_root, labels.ann_file, labels.data_prefix.img) == (
        'data/my_images/', 'free_mask_labels.json', 'images/')
    assert labels.pipeline == recipe.train_dataloader.dataset.dataset.pipeline
    assert cfg.model == recipe.model and cfg.optim_wrapper == recipe.optim_wrapper
    assert cfg.val_dataloader is None and cfg.test_dataloader is None
    assert cfg.self_training.free_mask.images == 'data/my_images/images/'
    assert not cfg.self_training.free_mask.ann_file
    from mmfreesolo.pseudo_labels.image_source import inference_pipeline
    assert inference_pipeline(cfg) == recipe.test_pipeline
