"""The batched Free Mask against the slow reference, and its handling of padding."""
import math

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from conftest import REPO
from mmfreesolo.datasets.scenes import generate_scenes
from mmfreesolo.free_mask.generate import build_free_mask
from mmfreesolo.pseudo_labels.image_source import ImagesToLabel, list_images
from reference import free_mask_reference

CONFIG = str(REPO / 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py')


@pytest.fixture(scope='module')
def model_and_images(tmp_path_factory):
    """The CPU Free Mask model and 6 scenes of two shapes (two network input shapes)."""
    root = tmp_path_factory.mktemp('mixed')
    generate_scenes(str(root / 'wide'), num_train=3, num_val=0, image_size=(96, 144), seed=1)
    generate_scenes(str(root / 'tall'), num_train=3, num_val=0, image_size=(150, 100), seed=2)
    records = (list_images(str(root / 'wide' / 'train')) + list_images(str(root / 'tall' /
                                                                           'train')))
    cfg = Config.fromfile(CONFIG)
    # a permissive score threshold, so that the comparison sees many masks and filters
    cfg.model.score_thr = 0.5
    model = build_free_mask(cfg)
    dataset = ImagesToLabel(records, cfg.test_pipeline)
    order = [0, 3, 1, 4, 2, 5]  # mixed shapes in every batch
    return model, cfg, [dataset[i] for i in order]


def _reference_of(model, cfg, items):
    """Reference results of each item, from its own feature cells."""
    data = model.data_preprocessor(pseudo_collate([i['sample'] for i in items]), False)
    features = model.extract_feat(data['inputs'])
    stride = data['inputs'].shape[-1] / features.shape[-1]
    refs = []
    for feature, sample in zip(features, data['data_samples']):
        h = math.ceil(sample.img_shape[0] / stride)
        w = math.ceil(sample.img_shape[1] / stride)
        params = {k: cfg.model[k] for k in ('query_scales', 'mask_thr', 'min_cells',
                                            'max_per_img', 'min_center_y', 'max_width_ratio',
                                            'score_thr', 'emb_dim')}
        refs.append(free_mask_reference(feature[:, :h, :w].double().numpy(), stride,
                                        sample.img_shape, sample.ori_shape,
                                        sigma=cfg.model.nms_sigma, **params))
    return refs


@pytest.mark.parametrize('batch_size', [1, 4])
def test_batched_path_matches_reference(model_and_images, batch_size):
    model, cfg, items = model_and_images
    compared = 0
    for start in range(0, len(items), batch_size):
        batch = items[start:start + batch_size]
        with torch.no_grad():
            outputs = model.test_step(pseudo_collate([i['sample'] for i in batch]))
            refs = _reference_of(model, cfg, batch)
        for out, ref, item in zip(outputs, refs, batch):
            pred = out.pred_instances
            assert tuple(out.ori_shape) == item['shape']
            assert len(pred) == len(ref), (len(pred), [r['score'] for r in ref])
            for k, r in enumerate(ref):
                mask = pred.masks[k].numpy()
                assert mask.shape == r['mask'].shape
                # float32 against float64: a pixel may flip where the soft mask is 0.5
                assert (mask != r['mask']).mean() < 0.002
                assert float(pred.scores[k]) == pytest.approx(r['score'], abs=1e-4)
                np.testing.assert_allclose(pred.embeddings[k].numpy(), r['emb'], atol=1e-4)
                ys, xs = np.nonzero(mask)
                assert pred.bboxes[k].tolist() == [xs.min(), ys.min(), xs.max() + 1,
                                                   ys.max() + 1]
                compared += 1
    assert compared >= 6, 'the scenes should give masks to compare'


def test_padded_cells_are_never_keys_or_queries(model_and_images, monkeypatch):
    model, _, items = model_and_images
    data = pseudo_collate([i['sample'] for i in items[:4]])
    with torch.no_grad():
        clean = model.test_step(data)
    extract = type(model).extract_feat

    def extract_with_garbage_padding(self, inputs):
        features = extract(self, inputs)
        stride = inputs.shape[-1] / features.shape[-1]
        garbage = torch.randn_like(features) * 100
        for b, sample in enumerate(data['data_samples']):
            h = math.ceil(sample.img_shape[0] / stride)
            w = math.ceil(sample.img_shape[1] / stride)
            garbage[b, :, :h, :w] = features[b, :, :h, :w]
        return garbage

    monkeypatch.setattr(type(model), 'extract_feat', extract_with_garbage_padding)
    with torch.no_grad():
        dirty = model.test_step(pseudo_collate([i['sample'] for i in items[:4]]))
    padded = sum(s.img_shape != s.batch_input_shape for s in dirty)
    assert padded >= 2, 'the batch must pad some images'
    for a, b in zip(clean, dirty):
        assert torch.equal(a.pred_instances.masks, b.pred_instances.masks)
        assert torch.equal(a.pred_instances.scores, b.pred_instances.scores)


def test_filters_and_top_k():
    """Hand-made feature maps: what each filter removes."""
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone_checkpoint = None
    model = build_free_mask(cfg)
    # 4 x 8 cells; channel 0 marks a blob in the top row only, channel 1 the rest
    feature = torch.zeros(2, 4, 8)
    feature[0, 0, 2:5] = 1.0
    feature[1] = 1.0 - feature[0]
    feature += 0.01 * torch.rand(2, 4, 8, generator=torch.Generator().manual_seed(0))
    soft, scores, queries = model.feature_masks(feature)
    assert len(soft) <= model.max_per_img and torch.all(scores[:-1] >= scores[1:])
    kept = model.image_masks(soft, scores, queries, stride=8.0, scale=(1.0, 1.0),
                             out_shape=(32, 64))
    for mask in kept.masks:
        ys, xs = torch.nonzero(mask, as_tuple=True)
        assert ys.float().mean() >= 0.2 * 32       # the top-row blob is gone
        assert xs.max() - xs.min() + 1 < 0.95 * 64  # so is the full-width background
    assert torch.all(kept.scores >= model.score_thr)
    model.min_center_y, model.max_width_ratio, model.score_thr = 0.0, 2.0, 0.0
    everything = model.image_masks(soft, scores, queries, 8.0, (1.0, 1.0), (32, 64))
    assert len(everything) > len(kept)
    top_rows = [m for m in everything.masks if torch.nonzero(m)[:, 0].float().mean() < 6.4]
    assert top_rows, 'without the filter the top-row blob is a mask'
