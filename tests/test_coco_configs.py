"""The release-recipe COCO configs: they parse, build, load a DenseCL-style backbone strictly,
and one two-view, copy-pasted training step runs on generated data."""
import json

import pytest
import torch
from mmdet.models.backbones import ResNet
from mmdet.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

import mmfreesolo  # noqa: F401
from conftest import REPO
from mmfreesolo.errors import UserInputError


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Build in mmdet's scope, whatever scope an earlier test left as the default."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


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


def value(cfg, path):
    for key in path.split('.'):
        cfg = cfg[int(key)] if isinstance(cfg, list) else cfg.get(key)
    return cfg


# (where in configs/freesolo_r50_coco.py, the value, where the release has it: docs/method.md,
# "Self-supervised SOLO")
RECIPE = [
    ('model.backbone.depth', 50, 'ResNet-50 (the paper\'s ablations; R101 config: 101)'),
    ('model.backbone.frozen_stages', -1, 'FREEZE_AT 0: every stage trains'),
    ('model.backbone.norm_eval', True, 'FrozenBN'),
    ('model.backbone.norm_cfg.requires_grad', False, 'FrozenBN'),
    ('model.backbone.init_cfg.type', 'BackboneCheckpoint', 'DenseCL weights, loaded strictly'),
    ('model.neck.type', 'FPN', 'SOLOv2 with FPN'),
    ('model.mask_head.type', 'FreeSOLOHead', 'SOLOv2 + weak mask losses'),
    ('model.mask_head.num_classes', 1, 'one class, "object"'),
    ('model.mask_head.num_grids', [40, 36, 24, 16, 12], 'grids'),
    ('model.mask_head.scale_ranges', ((1, 96), (48, 192), (96, 384), (192, 768), (384, 2048)),
     'scale ranges'),
    ('model.mask_head.pos_scale', 0.2, 'centre region sigma 0.2'),
    ('model.mask_head.loss_cls.type', 'FocalLoss', 'focal loss on the category branch'),
    ('model.mask_head.loss_cls.alpha', 0.25, 'focal alpha'),
    ('model.mask_head.loss_cls.gamma', 2.0, 'focal gamma'),
    ('model.mask_head.loss_mask.mode', 'max', 'L_max_proj'),
    ('model.mask_head.loss_mask.loss_weight', 1.0, 'L_max_proj weight 1'),
    ('model.mask_head.loss_mask_avg.mode', 'mean', 'L_avg_proj'),
    ('model.mask_head.loss_mask_avg.loss_weight', 0.1, 'a = 0.1'),
    ('model.mask_head.loss_pairwise.kernel_size', 3, 'pairwise 3x3 window'),
    ('model.mask_head.loss_pairwise.dilation', 2, 'dilation 2'),
    ('model.mask_head.loss_pairwise.color_thr', 0.3, 'colour similarity >= 0.3'),
    ('model.mask_head.loss_pairwise.warmup_iters', 1000, 'ramps 0 -> 1 over 1000 iterations'),
    ('model.mask_head.loss_pairwise.loss_weight', 1.0, 'L_pairwise weight 1'),
    ('model.mask_head.pairwise_ignore_bottom', 10, '10 original pixels, scaled per image'),
    ('model.mask_head.loss_reduction', 'level', 'per FPN level, then over the levels'),
    ('model.mask_head.loss_emb', None, 'the embedding loss is multiplied by zero'),
    ('model.data_preprocessor.mask_stride', 4, 'LAB pooled to stride 4'),
    ('model.data_preprocessor.copy_paste.max_cover', 0.5,
     'strong view only, from another image\'s weak view; keep if < 50 % of every mask'),
    ('optim_wrapper.optimizer.type', 'SGD', 'SGD'),
    ('optim_wrapper.optimizer.momentum', 0.9, 'momentum 0.9'),
    ('optim_wrapper.optimizer.weight_decay', 1e-4, 'wd 1e-4'),
    ('optim_wrapper.paramwise_cfg.norm_decay_mult', 0.0, 'no wd on norm layers'),
    ('optim_wrapper.optimizer.lr', 0.001, 'LR 0.001'),
    ('optim_wrapper.clip_grad', None, 'no gradient clipping'),
    ('optim_wrapper.type', 'OptimWrapper', 'no AMP'),
    ('param_scheduler', [dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
                              end=1000)], 'linear warm-up, factor 0.01, 1000 its, then constant'),
    ('train_cfg.type', 'IterBasedTrainLoop', 'iterations'),
    ('train_cfg.max_iters', 30000, '30k iterations'),
    ('train_dataloader.batch_size', 2, 'batch 16 on 8 GPUs'),
    ('auto_scale_lr.base_batch_size', 16, 'batch 16'),
    ('model_wrapper_cfg.find_unused_parameters', True, 'DDP finds unused parameters'),
    ('model_wrapper_cfg.broadcast_buffers', False, 'DDP broadcasts no buffers'),
    ('train_dataloader.dataset.pipeline.2.scales',
     [(1333, s) for s in (640, 672, 704, 736, 768, 800)], 'weak view: short side 640..800'),
    ('train_dataloader.dataset.pipeline.3.prob', 0.5, 'horizontal flip'),
    ('val_evaluator.type', 'ClassAgnosticCocoMetric', 'class-agnostic COCOeval (useCats 0)'),
    ('self_training.init', 'config', 'round 2 restarts from the same initialisation'),
]


@pytest.mark.parametrize('path, expected, release', RECIPE, ids=[r[0] for r in RECIPE])
def test_release_recipe_value(path, expected, release):
    cfg = Config.fromfile(str(REPO / 'configs' / 'freesolo_r50_coco.py'))
    got = value(cfg, path)
    if isinstance(got, (list, tuple)):
        got, expected = [tuple(g) if isinstance(g, list) else g for g in got], list(
            tuple(e) if isinstance(e, (list, tuple)) else e for e in expected)
    assert got == expected, f'{path}: {got!r}, the release: {release}'


def test_strong_view_is_the_release_augmentation_in_order():
    """Colour jitter (p 0.8), grayscale (p 0.2), blur (p 0.5, sigma 0.1-2), three erasings with
    random fill, made in the data preprocessor; the pipeline makes the weak view only."""
    cfg = Config.fromfile(str(REPO / 'configs' / 'freesolo_r50_coco.py'))
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline] == [
        'LoadImageFromFile', 'LoadAnnotations', 'RandomChoiceResize', 'RandomFlip',
        'PackDetInputs']
    colour, erase = cfg.model.data_preprocessor.strong_view.stages
    assert colour.get('normalize') is None
    jitter, gray, blur = colour.transforms
    assert (jitter.type, jitter.p) == ('RandomApply', 0.8)
    assert {k: v for k, v in jitter.transforms[0].items()} == dict(
        type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
    assert (gray.type, gray.p) == ('RandomGrayscale', 0.2)
    assert (blur.type, blur.p) == ('RandomApply', 0.5)
    (gaussian, ) = blur.transforms
    assert (gaussian.type, tuple(gaussian.sigma)) == ('GaussianBlur', (0.1, 2.0))
    assert gaussian.kernel_size >= 2 * 3 * 2.0 + 1, 'the kernel spans 3 sigma each side'
    assert erase.normalize == dict(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    assert [(e.type, e.p, tuple(e.scale), tuple(e.ratio), e.value) for e in erase.transforms] == [
        ('RandomErasing', 0.7, (0.05, 0.2), (0.3, 3.3), 'random'),
        ('RandomErasing', 0.5, (0.02, 0.2), (0.1, 6.0), 'random'),
        ('RandomErasing', 0.3, (0.02, 0.2), (0.05, 8.0), 'random')]


def test_r101_and_self_training_configs():
    cfg = Config.fromfile(str(REPO / 'configs' / 'freesolo_r50_coco.py'))
    r101 = Config.fromfile(str(REPO / 'configs' / 'freesolo_r101_coco.py'))
    assert r101.model.backbone.depth == 101
    assert r101.model.backbone.init_cfg.checkpoint.endswith('densecl_r101_imagenet_200ep.pth')
    assert r101.train_dataloader.dataset.ann_file == 'free_mask/train2017_r101.json'
    # self-training: each depth's own Free Mask config, on train2017's images and ids
    for recipe, depth in ((cfg, 50), (r101, 101)):
        free_mask = recipe.self_training.free_mask
        assert free_mask.config == str(REPO / 'configs' / 'free_mask' /
                                       f'freemask_r{depth}_coco.py')
        fm = Config.fromfile(free_mask.config)
        assert fm.model.backbone.depth == depth
        assert (fm.model.upsampling, fm.model.filters) == ('stretch', 'release')
        assert free_mask.ann_file.endswith('instances_train2017.json')


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
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=str(scenes), ann_file=str(tmp_path / 'labels.json'),
                       data_prefix=dict(img='train/'))
    dataset_cfg.pipeline[2].scales = [(256, 128), (256, 160)]   # small images for the CPU
    dataset = DATASETS.build(dataset_cfg)

    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    torch.manual_seed(0)
    batch = pseudo_collate([dataset[0], dataset[1]])
    weak_masks = [s.gt_instances.masks.masks.copy() for s in batch['data_samples']]
    data = model.data_preprocessor(batch, training=True)
    assert data['inputs'].shape[0] == 4                  # 2 images x (weak, strong)
    weak_pixels, strong_pixels = data['inputs'][:2], data['inputs'][2:]
    assert not torch.equal(weak_pixels, strong_pixels)
    for before, joined in zip(weak_masks, data['data_samples'][:2]):   # weak views untouched
        assert (joined.gt_instances.masks.masks[:, :before.shape[1], :before.shape[2]]
                == before).all()
    for strong in data['data_samples'][2:]:
        gt = strong.gt_instances
        assert len(gt.masks) == len(gt.bboxes) == len(gt.labels)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_mask_max', 'loss_mask_avg', 'loss_pairwise', 'loss_cls',
                           'mask_cover_in_box', 'mask_cover_out_box'}
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()
    assert model.mask_head.conv_kernel.weight.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad is not None, 'no frozen stage: the stem trains'


def test_image_folder_config_is_the_recipe_on_a_folder_without_validation():
    cfg = Config.fromfile(str(REPO / 'configs' / 'freesolo_r50_image_folder.py'))
    recipe = Config.fromfile(str(REPO / 'configs' / 'freesolo_r50_coco.py'))
    labels = cfg.train_dataloader.dataset
    assert (labels.data_root, labels.ann_file, labels.data_prefix.img) == (
        'data/my_images/', 'free_mask_labels.json', 'images/')
    assert labels.pipeline == recipe.train_dataloader.dataset.pipeline
    assert cfg.model == recipe.model and cfg.optim_wrapper == recipe.optim_wrapper
    assert cfg.val_dataloader is None and cfg.test_dataloader is None
    assert cfg.self_training.free_mask.images == 'data/my_images/images/'
    assert not cfg.self_training.free_mask.ann_file
    from mmfreesolo.pseudo_labels.images_to_label import inference_pipeline
    assert inference_pipeline(cfg) == recipe.test_pipeline
