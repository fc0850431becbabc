"""The batched Free Mask against the slow reading of the release (reference.py), on images whose
sizes are not multiples of the stride, alone and padded in batches; the options; fp32 under
autocast."""
import math

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from conftest import REPO
from mmfreesolo.engine.free_mask_labelling import build_free_mask
from mmfreesolo.models.detectors.free_mask import feature_stride
from mmfreesolo.pseudo_labels.image_records import list_images
from mmfreesolo.pseudo_labels.images_to_label import ImagesToLabel
from mmfreesolo.scenes import generate_scenes
from reference import free_mask_reference

CONFIG = str(REPO / 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py')
# original sizes (H, W): landscape and portrait, none a multiple of the stride once resized
SIZES = ((96, 144), (150, 100), (77, 203))


def mobilenet_config():
    cfg = Config.fromfile(CONFIG)
    cfg.model.score_thr = 0.5  # permissive, so that the comparison sees many masks and filters
    cfg.model.filters = 'release'  # the scenes config's option is tested on hand-made masks
    return cfg


def resnet18_config():
    """A randomly initialised ResNet-18 at stride 32, every mask kept (score_thr 0)."""
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone = dict(type='ResNet', depth=18, num_stages=4, out_indices=(3, ),
                              norm_eval=True, style='pytorch', init_cfg=None)
    cfg.model.backbone_checkpoint = None
    cfg.model.update(score_thr=0.0, filters='release')
    cfg.test_pipeline[1].scale = (300, 300)
    return cfg


BACKBONES = {'mobilenet_v2': mobilenet_config, 'random_resnet18': resnet18_config}


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp('odd')
    records = []
    for k, size in enumerate(SIZES):
        generate_scenes(str(root / str(k)), num_train=2, num_val=0, image_size=size, seed=k)
        records += list_images(str(root / str(k) / 'train'))
    return records


@pytest.fixture(scope='module', params=sorted(BACKBONES))
def model_and_items(request, images):
    torch.manual_seed(0)
    cfg = BACKBONES[request.param]()
    cfg.model.emb_dim = 128  # the embeddings are compared too
    model = build_free_mask(cfg)
    dataset = ImagesToLabel(images, cfg.test_pipeline)
    order = [0, 2, 4, 1, 3, 5]  # mixed shapes in every batch
    return model, cfg, [dataset[i] for i in order]


def reference_params(cfg):
    params = {k: cfg.model[k] for k in ('query_scales', 'mask_thr', 'min_cells', 'max_per_img',
                                        'min_center_y', 'max_width_ratio', 'score_thr',
                                        'emb_dim')}
    return dict(params, sigma=cfg.model.nms_sigma)


def reference_of(model, cfg, items):
    """Reference results of each item: from the image's own feature cells of the padded batch
    when the model pads its inputs, else from the backbone run on the image alone, unpadded."""
    data = model.data_preprocessor(pseudo_collate([i['sample'] for i in items]), False)
    with torch.no_grad():
        features = model.extract_feat(data['inputs'])
    stride = data['inputs'].shape[-1] / features.shape[-1]
    refs = []
    for image, feature, sample in zip(data['inputs'], features, data['data_samples']):
        h, w = sample.img_shape
        if model.pad_inputs:
            feature = feature[:, :math.ceil(h / stride), :math.ceil(w / stride)]
        else:
            with torch.no_grad():
                feature = model.extract_feat(image[None, :, :h, :w])[0]
        refs.append(free_mask_reference(feature.double().numpy(), sample.ori_shape,
                                        **reference_params(cfg)))
    return refs, data['data_samples']


def assert_equal_to_reference(pred, ref):
    """The batched path's instances against the reference's list; how many were compared."""
    assert len(pred) == len(ref), (len(pred), [r['score'] for r in ref])
    for k, r in enumerate(ref):
        mask = pred.masks[k].numpy()
        assert mask.shape == r['mask'].shape
        # float32 against float64: a pixel may flip where the soft mask is 0.5
        assert (mask != r['mask']).mean() < 0.002
        assert float(pred.scores[k]) == pytest.approx(r['score'], abs=1e-4)
        np.testing.assert_allclose(pred.embeddings[k].numpy(), r['emb'], atol=1e-4)
        ys, xs = np.nonzero(mask)
        assert pred.bboxes[k].tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    return len(ref)


@pytest.mark.parametrize('pad_inputs', [False, True], ids=['unpadded', 'padded'])
@pytest.mark.parametrize('batch_size', [1, 3])
def test_batched_path_equals_the_reference(model_and_items, batch_size, pad_inputs,
                                           monkeypatch):
    model, cfg, items = model_and_items
    monkeypatch.setattr(model, 'pad_inputs', pad_inputs)
    compared, padded = 0, 0
    for start in range(0, len(items), batch_size):
        batch = items[start:start + batch_size]
        with torch.no_grad():
            outputs = model.test_step(pseudo_collate([i['sample'] for i in batch]))
        refs, samples = reference_of(model, cfg, batch)
        for out, ref, item, sample in zip(outputs, refs, batch, samples):
            assert any(v % 32 for v in sample.img_shape), 'an odd network input size'
            padded += tuple(sample.img_shape) != tuple(sample.batch_input_shape)
            assert tuple(out.ori_shape) == item['shape']
            compared += assert_equal_to_reference(out.pred_instances, ref)
    assert compared >= 12, 'the images should give masks to compare'
    assert padded >= (2 if batch_size > 1 else 0), 'batches must pad some images'


def test_queries_are_resized_from_the_raw_features():
    """Feature vectors whose norms vary 100x: averaging raw vectors (the release) and averaging
    unit vectors give different 0.5 and 0.25 queries, so different masks and scores; the
    batched path must give the reference's."""
    generator = torch.Generator().manual_seed(3)
    h, w, c = 11, 14, 16
    norms = torch.logspace(0, 2, h * w)[torch.randperm(h * w, generator=generator)]
    directions = torch.randn(c, h * w, generator=generator) + 2.0  # correlated, as real ones
    feature = (torch.nn.functional.normalize(directions, dim=0) * norms).view(c, h, w)
    cfg = Config.fromfile(CONFIG)
    cfg.model.update(backbone_checkpoint=None, score_thr=0.0, filters='release', emb_dim=128,
                     min_center_y=0.0, max_width_ratio=1.01)  # every kept mask compared
    model = build_free_mask(cfg)
    keys = torch.nn.functional.normalize(feature, dim=0)
    assert (model.queries(feature) - model.queries(keys)).abs().max() > 0.05, \
        'the two orders must differ on this map'
    sample = DetDataSample(metainfo=dict(img_shape=(h * 32, w * 32), ori_shape=(150, 190)))
    pred = model.predict_from_features(feature[None], (h * 32, w * 32), [sample])[0]
    ref = free_mask_reference(feature.double().numpy(), (150, 190), **reference_params(cfg))
    assert assert_equal_to_reference(pred.pred_instances, ref) >= 10


def test_unpadded_batches_equal_one_image_at_a_time(model_and_items):
    model, _, items = model_and_items
    assert not model.pad_inputs, 'the configs run the release: each image alone'
    with torch.no_grad():
        together = model.test_step(pseudo_collate([i['sample'] for i in items[:3]]))
        alone = [model.test_step(pseudo_collate([i['sample']]))[0] for i in items[:3]]
    assert len({tuple(s.img_shape) for s in together}) > 1, 'mixed sizes expected'
    for a, b in zip(together, alone):
        assert torch.equal(a.pred_instances.masks, b.pred_instances.masks)
        assert torch.equal(a.pred_instances.scores, b.pred_instances.scores)


def test_padded_cells_are_never_keys_or_queries(model_and_items, monkeypatch):
    model, _, items = model_and_items
    monkeypatch.setattr(model, 'pad_inputs', True)
    data = pseudo_collate([i['sample'] for i in items[:3]])
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
        dirty = model.test_step(pseudo_collate([i['sample'] for i in items[:3]]))
    assert sum(s.img_shape != s.batch_input_shape for s in dirty) >= 2, 'padding expected'
    for a, b in zip(clean, dirty):
        assert torch.equal(a.pred_instances.masks, b.pred_instances.masks)
        assert torch.equal(a.pred_instances.scores, b.pred_instances.scores)


def test_feature_stride_from_padded_or_unpadded_inputs():
    assert feature_stride((512, 384), (16, 12)) == 32          # padded to a multiple
    assert feature_stride((517, 333), (17, 11)) == 32          # unpadded: h = ceil(H / 32)
    assert feature_stride((300, 300), (19, 19)) == 16
    assert feature_stride((40, 33), (2, 2)) == 32              # less than two strides


def test_query_sizes_are_the_scale_factor_floor():
    """7 x 5 cells give 7x5 + 3x2 + 1x1 queries (floor), not round(3.5) x round(2.5) = 4x2."""
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone_checkpoint = None
    model = build_free_mask(cfg)
    feature = torch.rand(4, 7, 5)
    assert model.queries(feature).shape == (35 + 6 + 1, 4)
    # a map of one row keeps only the scales that leave a row
    assert model.queries(feature[:, :1]).shape == (5, 4)


def masks_model(**options):
    cfg = Config.fromfile(CONFIG)
    cfg.model.update(backbone_checkpoint=None, upsampling='stretch', filters='release')
    cfg.model.update(options)
    return build_free_mask(cfg)


def test_release_filters_on_hand_made_masks():
    """Each rule of the release, and where the 'tight' option differs."""
    masks = torch.zeros(5, 20, 40, dtype=torch.bool)
    masks[0, 0:4, 10:20] = True              # occupied rows 0..3, mean 1.5 < 0.2 x 20: dropped
    masks[1, 8:12, 0:39] = True              # 39 occupied columns >= 0.95 x 40: dropped
    masks[2, 8:12, 0:3] = True               # two pieces at both edges: 6 columns, kept by
    masks[2, 8:12, 37:40] = True             # the release, a 40-wide box for 'tight'
    masks[3, 0:3, 5:35] = True               # a block on rows 0..2 with a thin tail down to
    masks[3, 3:10, 20] = True                # row 9: occupied rows' mean 4.5 > 4, kept; its
    #                                          centre of mass is row 1.4: 'tight' drops it
    masks[4, 4, 5:8] = True                  # one row at 4 = 0.2 x 20: '>' drops it
    release = masks_model()
    keep, boxes = release.shape_filter(masks)
    assert keep.tolist() == [False, False, True, True, False]
    assert boxes[2].tolist() == [0, 8, 40, 12]
    tight = masks_model(filters='tight')
    keep, _ = tight.shape_filter(masks)
    assert keep.tolist() == [False, False, False, False, True]   # '>=' keeps the row at 4
    with pytest.raises(ValueError, match='filters must be one of'):
        masks_model(filters='loose')


def test_upsampling_stretches_the_grid_or_maps_cells():
    """A 3 x 3 grid whose cells hold one column of foreground, on a 70 x 70 image at stride 32
    (the grid covers 96 px): stretched, the middle third of the 70 px (23..46); mapped on the
    cells, the pixels of the middle cell (32..63)."""
    soft = torch.zeros(1, 3, 3)
    soft[0, :, 1] = 1.0
    stretched = masks_model().upsample(soft, 32.0, (1.0, 1.0), (70, 70))
    cells = masks_model(upsampling='cells').upsample(soft, 32.0, (1.0, 1.0), (70, 70))
    cols = lambda m: torch.nonzero(m[0].any(dim=0)).flatten().tolist()  # noqa: E731
    assert cols(stretched) == list(range(23, 47)) and stretched.shape == (1, 70, 70)
    assert cols(cells) == list(range(32, 64)) and cells.shape == (1, 70, 70)
    with pytest.raises(ValueError, match='upsampling must be one of'):
        masks_model(upsampling='nearest')


def test_post_backbone_runs_in_fp32_under_autocast(model_and_items):
    model, _, items = model_and_items
    batch = pseudo_collate([i['sample'] for i in items[:2]])
    with torch.no_grad():
        plain = model.test_step(batch)
    seen = []
    original = model.predict_from_features

    def spy(features, *args, **kwargs):
        seen.append((features.dtype, torch.is_autocast_enabled('cpu')))
        return original(features, *args, **kwargs)

    model.predict_from_features = spy
    try:
        with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
            mixed = model.test_step(pseudo_collate([i['sample'] for i in items[:2]]))
    finally:
        del model.predict_from_features
    assert seen and set(seen) == {(torch.float32, False)}
    for a, b in zip(plain, mixed):
        assert a.pred_instances.masks.shape[1:] == b.pred_instances.masks.shape[1:]
        assert b.pred_instances.scores.dtype == torch.float32


def test_split_components_on_hand_made_masks():
    """Two masks over a 4 x 5 grid: the first of two 4-connected pieces (the diagonal
    neighbour is a third), the second of one; each piece keeps its soft values and query."""
    binary = torch.zeros(2, 4, 5, dtype=torch.bool)
    binary[0, 0:2, 0:2] = True
    binary[0, 2, 2] = True                   # touches (1, 1) only diagonally
    binary[0, 3, 4] = True
    binary[1, 1:3, 1:4] = True
    soft = torch.rand(2, 20) * 0.5 + binary.flatten(1) * 0.5
    queries = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    model = masks_model(split_components=True)
    parts_soft, parts, sources = model.components(soft, binary.flatten(1), queries, (4, 5))
    assert parts.shape == (4, 20)
    grids = [p.view(4, 5) for p in parts]
    assert [int(g.sum()) for g in grids] == [4, 1, 1, 6]
    assert grids[0][0:2, 0:2].all() and grids[1][2, 2] and grids[2][3, 4]
    assert sources.tolist() == [[1.0, 0.0]] * 3 + [[0.0, 1.0]]
    assert torch.equal(parts_soft[0], soft[0] * parts[0])
    assert torch.equal(parts_soft[3], soft[1] * binary[1].flatten())
    # no mask, or masks without a cell: no component
    for q in (0, 2):
        none = model.components(torch.rand(q, 20), torch.zeros(q, 20, dtype=torch.bool),
                                torch.rand(q, 2), (4, 5))
        assert [tuple(t.shape) for t in none] == [(0, 20), (0, 20), (0, 2)]


def test_split_components_give_each_alike_object_a_mask():
    """A map of two identical objects apart on a background: every query on an object lights
    both up, so the release's masks each hold the two; split, each object is a mask of its
    own, and Matrix NMS leaves one mask per object."""
    feature = torch.zeros(2, 8, 8)
    feature[1] = 1.0                          # background
    for y, x in ((1, 1), (5, 5)):             # two 2 x 2 objects
        feature[:, y:y + 2, x:x + 2] = torch.tensor([1.0, 0.0])[:, None, None]
    objects = feature[0] > 0.5
    release = masks_model(query_scales=(1.0, ), min_cells=2, nms_pre=None)
    soft, _, _ = release.feature_masks(feature)
    assert any(torch.equal(m >= 0.5, objects) for m in soft), 'a mask holding both'
    split = masks_model(query_scales=(1.0, ), min_cells=2, split_components=True, nms_pre=20)
    soft, scores, _ = split.feature_masks(feature)
    kept = [m >= 0.5 for m, s in zip(soft, scores) if s > 0.5]
    first, second = torch.zeros_like(objects), torch.zeros_like(objects)
    first[1:3, 1:3], second[5:7, 5:7] = True, True
    assert sorted(int(m.nonzero()[0, 0]) for m in kept if m.sum() == 4) == [1, 5]
    assert any(torch.equal(m, first) for m in kept) and any(torch.equal(m, second) for m in kept)
