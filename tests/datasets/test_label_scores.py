"""LoadScoredAnnotations and PackScoredDetInputs: each label's score reaches gt_instances (or
ignored_instances) beside its own mask; docs/method.md's config trains the head towards them."""
import json

import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS, MODELS, TRANSFORMS
from mmdet.structures.mask import BitmapMasks
from mmengine.registry import init_default_scope
from pycocotools import mask as mask_utils

import mmfreesolo  # noqa: F401
from conftest import REPO
from mmfreesolo.errors import UserInputError

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadScoredAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=1.0),
    dict(type='PackScoredDetInputs'),
]

init_default_scope('mmdet')


def test_each_score_reaches_its_own_mask_trained_or_ignored(scenes, tmp_path):
    """Each label scored by its own mask's pixel count (0.5 + area / 10^4): after a flip, every
    packed score still matches the mask beside it, in the trained and the ignored instances."""
    data = json.loads((scenes / 'annotations' / 'instances_train.json').read_text())
    for ann in data['annotations']:
        ann['score'] = 0.5 + float(mask_utils.area(ann['segmentation'])) / 1e4
    path = tmp_path / 'labels.json'
    path.write_text(json.dumps(data))
    cut = float(np.median([a['score'] for a in data['annotations']]))
    dataset = DATASETS.build(dict(
        type='FreeMaskLabelDataset', data_root=str(scenes), ann_file=str(path),
        data_prefix=dict(img='train/'), pipeline=PIPELINE, min_score=cut, ignore_score=0.5))
    seen = dict(trained=0, ignored=0)
    for k in range(len(dataset)):
        sample = dataset[k]['data_samples']
        for kind, instances in (('trained', sample.gt_instances),
                                ('ignored', sample.ignored_instances)):
            assert instances.scores.dtype == torch.float32
            for score, mask in zip(instances.scores.tolist(), instances.masks.masks):
                assert score == pytest.approx(0.5 + mask.sum() / 1e4, abs=1e-6)
                assert (score >= cut - 1e-6) == (kind == 'trained')
                seen[kind] += 1
    assert seen['trained'] > 2 and seen['ignored'] > 2


def test_instances_dropped_without_their_scores_is_an_error():
    pack = TRANSFORMS.build(dict(type='PackScoredDetInputs'))
    results = dict(img=np.zeros((8, 8, 3), np.uint8), gt_bboxes=np.zeros((2, 4), np.float32),
                   gt_bboxes_labels=np.zeros(2, np.int64), gt_scores=np.ones(3, np.float32),
                   gt_ignore_flags=np.zeros(2, bool), img_path='a.png')
    with pytest.raises(UserInputError, match='a.png: 3 gt_scores for 2 gt_bboxes'):
        pack(results)
    del results['gt_bboxes']  # masks only
    results['gt_masks'] = BitmapMasks(np.zeros((2, 8, 8), np.uint8), 8, 8)
    with pytest.raises(UserInputError, match='a.png: 3 gt_scores for 2 gt_masks'):
        pack(results)
    del results['gt_scores']
    with pytest.raises(UserInputError, match='LoadScoredAnnotations'):
        pack(results)


def _documented_config() -> str:
    """The config lines of docs/method.md that train towards the labels' scores."""
    text = (REPO / 'docs' / 'method.md').read_text()
    after = text.split("Training the category branch towards the labels' scores", 1)[1]
    return after.split('```python\n', 1)[1].split('```', 1)[0]


def test_the_documented_config_trains_the_head_towards_the_label_scores(
        scenes, tmp_path, monkeypatch):
    """docs/method.md's lines on the annotation-free recipe: the pipeline packs each label's
    score and the category loss follows them (the same batch scored 1 everywhere trains another
    loss)."""
    from mmdet.models.losses import QualityFocalLoss
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    data = json.loads((scenes / 'annotations' / 'instances_train.json').read_text())
    for ann in data['annotations']:
        ann['score'] = 0.6 + ann['id'] % 4 / 10
    labels = tmp_path / 'labels.json'
    labels.write_text(json.dumps(data))
    config = tmp_path / 'scored.py'
    config.write_text(f"_base_ = {str(REPO / 'configs/freesolo_r18_gn_scenes_cpu.py')!r}\n"
                      + _documented_config())
    monkeypatch.setenv('MMFREESOLO_SCENES', str(scenes) + '/')
    cfg = Config.fromfile(str(config))
    cfg.train_dataloader.dataset.ann_file = str(labels)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    model = MODELS.build(cfg.model)
    assert isinstance(model.mask_head.loss_cls, QualityFocalLoss)
    batch = pseudo_collate([dataset[0], dataset[1]])
    scores = torch.cat([s.gt_instances.scores for s in batch['data_samples']])
    assert len(scores) and all(min(abs(s - 0.6 - k / 10) for k in range(4)) < 1e-6
                               for s in scores.tolist())
    torch.manual_seed(0)
    data = model.data_preprocessor(batch, training=True)
    scored = model.loss(data['inputs'], data['data_samples'])['loss_cls']
    for sample in data['data_samples']:
        sample.gt_instances.scores = torch.ones_like(sample.gt_instances.scores)
    certain = model.loss(data['inputs'], data['data_samples'])['loss_cls']
    assert torch.isfinite(scored) and not torch.isclose(scored, certain)
