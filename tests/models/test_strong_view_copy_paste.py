"""StrongViewCopyPaste: the release's copy-paste into each strong view from another image's weak
view of the batch; the keep rule, occlusion, boxes recomputed from masks."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmfreesolo.models.data_preprocessors.strong_view_copy_paste import (StrongViewCopyPaste,
                                                                         pasted_to_keep)


def rect(shape, y0, y1, x0, x1):
    mask = np.zeros(shape, dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def view(value, masks, scores, shape=None):
    """A packed view: a (3, H, W) image of one value and its instances."""
    masks = np.stack(masks).astype(np.uint8) if masks else np.zeros((0, ) + shape, np.uint8)
    h, w = masks.shape[1:]
    bitmap = BitmapMasks(masks, h, w)
    sample = DetDataSample(metainfo=dict(img_shape=(h, w)))
    sample.gt_instances = InstanceData(
        masks=bitmap, bboxes=bitmap.get_bboxes('hbox'),
        labels=torch.zeros(len(masks), dtype=torch.long),
        scores=torch.tensor(scores, dtype=torch.float32),
        embs=torch.arange(len(masks) * 2, dtype=torch.float32).reshape(-1, 2) + value)
    return torch.full((3, h, w), value, dtype=torch.uint8), sample


def batch(weak, strong):
    return dict(inputs=dict(weak=[v[0] for v in weak], strong=[v[0] for v in strong]),
                data_samples=dict(weak=[v[1] for v in weak], strong=[v[1] for v in strong]))


def reference_keep(pasted, existing, max_cover):
    """One pair at a time, straight from the definition."""
    return np.array([all((p & d).sum() / max(d.sum(), 1) < max_cover for d in existing)
                     for p in pasted], dtype=bool)


def test_keep_rule_matches_reference_on_random_masks():
    rng = np.random.default_rng(0)
    for _ in range(20):
        pasted = rng.random((5, 12, 12)) < rng.random()
        existing = rng.random((4, 12, 12)) < rng.random()
        np.testing.assert_array_equal(
            pasted_to_keep(torch.as_tensor(pasted), torch.as_tensor(existing), 0.5).numpy(),
            reference_keep(pasted, existing, 0.5))


@pytest.mark.parametrize('max_cover', [0.0, 0.3, 0.5, 1.0])
def test_keep_rule_matches_reference_on_random_blobs(max_cover):
    """Blobs (boxes that meet or not, touch at an edge, nest) and empty masks."""
    rng = np.random.default_rng(1)

    def blobs(n):
        masks = np.zeros((n, 40, 56), dtype=bool)
        for mask in masks[:-1]:  # the last one stays empty
            y, x = rng.integers(0, 40), rng.integers(0, 56)
            h, w = rng.integers(1, 25, size=2)
            mask[y:y + h, x:x + w] = rng.random((len(mask[y:y + h]), len(mask[0, x:x + w]))) < 0.8
        return masks

    kept = []
    for _ in range(30):
        pasted, existing = blobs(int(rng.integers(1, 8))), blobs(int(rng.integers(1, 8)))
        keep = pasted_to_keep(torch.as_tensor(pasted), torch.as_tensor(existing), max_cover)
        np.testing.assert_array_equal(keep.numpy(), reference_keep(pasted, existing, max_cover))
        kept.extend(keep.tolist())
    assert 0 < sum(kept) < len(kept) or max_cover in (0.0, 1.0)


def paste_everything(monkeypatch):
    """Every instance of the source is drawn (the count and subset are otherwise random)."""
    monkeypatch.setattr(torch, 'randint', lambda low, high, size: torch.tensor(high - 1))
    monkeypatch.setattr(torch, 'randperm', lambda n: torch.arange(n))


def test_hand_built_paste_into_the_strong_view_only(monkeypatch):
    shape = (20, 20)
    existing = rect(shape, 0, 10, 0, 10)            # 100 px
    other = rect(shape, 12, 20, 12, 20)             # 64 px, untouched
    covers_60 = rect(shape, 0, 10, 0, 6)            # 60 % of `existing`: dropped
    covers_10 = rect(shape, 8, 12, 0, 5)            # 10 px of `existing` (10 %): kept
    disjoint = rect(shape, 0, 4, 14, 20)            # kept
    image0 = [[existing, other], [0.9, 0.8]]
    image1 = [[covers_60, covers_10, disjoint], [0.3, 0.4, 0.5]]
    data = batch(weak=[view(10, *image0), view(200, *image1)],
                 strong=[view(11, *image0), view(201, *image1)])
    weak_before = [s.gt_instances.masks.masks.copy() for s in data['data_samples']['weak']]
    paste_everything(monkeypatch)
    StrongViewCopyPaste()(data)

    # the weak views are untouched
    for before, sample in zip(weak_before, data['data_samples']['weak']):
        np.testing.assert_array_equal(sample.gt_instances.masks.masks, before)
    assert (data['inputs']['weak'][0] == 10).all() and (data['inputs']['weak'][1] == 200).all()
    # strong view 0 got image 1's weak view, pixels and instances
    gt = data['data_samples']['strong'][0].gt_instances
    masks = gt.masks.masks.astype(bool)
    assert len(masks) == 4
    np.testing.assert_array_equal(masks[0], existing & ~covers_10)    # occluded
    np.testing.assert_array_equal(masks[1], other)
    np.testing.assert_array_equal(masks[2], covers_10)
    np.testing.assert_array_equal(masks[3], disjoint)
    assert isinstance(gt.bboxes, HorizontalBoxes)
    np.testing.assert_array_equal(gt.bboxes.tensor.numpy(),
                                  [[0, 0, 10, 10], [12, 12, 20, 20], [0, 8, 5, 12],
                                   [14, 0, 20, 4]])
    np.testing.assert_allclose(gt.scores.numpy(), [0.9, 0.8, 0.4, 0.5])
    np.testing.assert_array_equal(gt.embs.numpy(), [[11, 12], [13, 14], [202, 203],
                                                    [204, 205]])  # pasted ones: weak 1's
    image = data['inputs']['strong'][0][0].numpy()
    pasted = covers_10 | disjoint
    assert (image[pasted] == 200).all() and (image[~pasted] == 11).all()


def test_existing_mask_hidden_entirely_is_dropped(monkeypatch):
    shape = (10, 10)
    small, far = rect(shape, 0, 4, 0, 4), rect(shape, 6, 10, 6, 10)
    # each quarter covers 25 % of `small`, their union all of it
    quarters = [rect(shape, 0, 2, 0, 2) | rect(shape, 8, 9, 0, 1), rect(shape, 0, 2, 2, 4),
                rect(shape, 2, 4, 0, 2), rect(shape, 2, 4, 2, 4)]
    # covering exactly 50 % is too much
    halves = [rect(shape, 0, 4, 0, 2), rect(shape, 0, 4, 2, 4)]
    paste_everything(monkeypatch)
    for source, expected in ((quarters, 5), (halves, 2)):
        data = batch(weak=[view(0, [small, far], [0.9, 0.8]), view(1, source, [1] * len(source))],
                     strong=[view(0, [small, far], [0.9, 0.8]), view(1, source, [1] * len(source))])
        StrongViewCopyPaste()(data)
        gt = data['data_samples']['strong'][0].gt_instances
        assert len(gt.masks) == expected and gt.masks.masks.any(axis=(1, 2)).all()
        assert len(gt.scores) == len(gt.embs) == len(gt.bboxes) == len(gt.labels) == expected


@pytest.mark.parametrize('source_size', [(20, 20), (40, 30)])
def test_random_pastes_keep_labels_consistent(source_size):
    rng = np.random.default_rng(1)
    torch.manual_seed(0)
    pastes = 0

    def random_masks(shape, n):
        masks = []
        for _ in range(n):
            y0, x0 = rng.integers(0, shape[0] - 3), rng.integers(0, shape[1] - 3)
            masks.append(rect(shape, y0, y0 + rng.integers(2, 10), x0, x0 + rng.integers(2, 10)))
        return masks

    for trial in range(30):
        dst_masks = random_masks((20, 20), 3)
        src_masks = random_masks(source_size, 4)
        data = batch(weak=[view(0, dst_masks, [0.1, 0.2, 0.3]),
                           view(255, src_masks, [0.4, 0.5, 0.6, 0.7])],
                     strong=[view(0, dst_masks, [0.1, 0.2, 0.3]),
                             view(255, src_masks, [0.4, 0.5, 0.6, 0.7])])
        StrongViewCopyPaste()(data)
        gt = data['data_samples']['strong'][0].gt_instances
        masks = gt.masks.masks.astype(bool)
        assert masks.shape[1:] == (20, 20) and masks.any(axis=(1, 2)).all()
        expected = HorizontalBoxes.from_instance_masks(gt.masks).tensor
        np.testing.assert_array_equal(gt.bboxes.tensor.numpy(), expected.numpy())
        n_kept_dst = int((gt.scores < 0.35).sum())   # destination scores 0.1-0.3
        assert (gt.scores[:n_kept_dst] < 0.35).all()
        pasted = masks[n_kept_dst:]
        union = pasted.any(axis=0)
        pastes += len(pasted)
        # every kept pasted mask covers < 50 % of every original mask (independent check), and
        # the masks left are the originals minus the pasted pixels
        assert reference_keep(pasted, np.stack(dst_masks), 0.5).all()
        originals = [m & ~union for m in dst_masks if (m & ~union).any()]
        assert len(originals) == n_kept_dst
        for got, want in zip(masks[:n_kept_dst], originals):
            np.testing.assert_array_equal(got, want)
        image = data['inputs']['strong'][0][0].numpy()
        assert (image[union] == 255).all() and (image[~union] == 0).all()
    assert pastes > 10, 'the random draws should paste something'


def test_nothing_pasted_without_another_image_or_at_prob_zero():
    masks = [rect((8, 8), 0, 4, 0, 4)]
    single = batch(weak=[view(0, masks, [1.0])], strong=[view(5, masks, [1.0])])
    StrongViewCopyPaste()(single)
    assert (single['inputs']['strong'][0] == 5).all()
    pair = batch(weak=[view(0, masks, [1.0]), view(9, masks, [1.0])],
                 strong=[view(5, masks, [1.0]), view(6, masks, [1.0])])
    StrongViewCopyPaste(prob=0.0)(pair)
    assert (pair['inputs']['strong'][0] == 5).all() and (pair['inputs']['strong'][1] == 6).all()
