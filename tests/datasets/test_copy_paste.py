"""FreeSOLOCopyPaste: FreeSOLO's keep rule, occlusion and boxes recomputed from masks."""
import json

import numpy as np
import pytest
from mmdet.registry import DATASETS, TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks

from mmengine.registry import init_default_scope

import mmfreesolo  # noqa: F401
from mmfreesolo.datasets.transforms.free_solo_copy_paste import pasted_to_keep

init_default_scope('mmdet')


def rect(shape, y0, y1, x0, x1):
    mask = np.zeros(shape, dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def results(image_value, masks, scores):
    masks = np.stack(masks).astype(np.uint8)
    h, w = masks.shape[1:]
    bitmap = BitmapMasks(masks, h, w)
    return dict(img=np.full((h, w, 3), image_value, dtype=np.uint8),
                gt_masks=bitmap, gt_bboxes=bitmap.get_bboxes('hbox'),
                gt_bboxes_labels=np.zeros(len(masks), dtype=np.int64),
                gt_ignore_flags=np.zeros(len(masks), dtype=bool),
                gt_scores=np.asarray(scores, dtype=np.float32),
                gt_embs=np.arange(len(masks) * 2, dtype=np.float32).reshape(-1, 2) + image_value)


def reference_keep(pasted, existing, max_cover):
    """One pair at a time, straight from the definition."""
    keep = []
    for p in pasted:
        keep.append(all((p & d).sum() / max(d.sum(), 1) < max_cover for d in existing))
    return np.array(keep, dtype=bool)


def test_keep_rule_matches_reference_on_random_masks():
    rng = np.random.default_rng(0)
    for _ in range(20):
        pasted = rng.random((5, 12, 12)) < rng.random()
        existing = rng.random((4, 12, 12)) < rng.random()
        np.testing.assert_array_equal(pasted_to_keep(pasted, existing, 0.5),
                                      reference_keep(pasted, existing, 0.5))


def test_hand_built_paste():
    shape = (20, 20)
    existing = rect(shape, 0, 10, 0, 10)            # 100 px
    other = rect(shape, 12, 20, 12, 20)             # 64 px, untouched
    dst = results(10, [existing, other], [0.9, 0.8])
    covers_60 = rect(shape, 0, 10, 0, 6)            # 60 % of `existing`: dropped
    covers_20 = rect(shape, 8, 12, 0, 5)            # 10 px of `existing` (10 %): kept
    disjoint = rect(shape, 0, 4, 14, 20)            # kept
    src = results(200, [covers_60, covers_20, disjoint], [0.3, 0.4, 0.5])
    src['gt_embs'] = np.array([[1, 1], [2, 2], [3, 3]], dtype=np.float32)

    transform = TRANSFORMS.build(dict(type='FreeSOLOCopyPaste'))
    transform._get_selected_inds = lambda n: np.arange(n)
    out = transform.transform(dict(dst, mix_results=[src]))

    masks = out['gt_masks'].masks.astype(bool)
    assert len(masks) == 4
    np.testing.assert_array_equal(masks[0], existing & ~covers_20)    # occluded
    np.testing.assert_array_equal(masks[1], other)
    np.testing.assert_array_equal(masks[2], covers_20)
    np.testing.assert_array_equal(masks[3], disjoint)
    np.testing.assert_array_equal(out['gt_bboxes'].tensor.numpy(),
                                  [[0, 0, 10, 10], [12, 12, 20, 20], [0, 8, 5, 12],
                                   [14, 0, 20, 4]])
    np.testing.assert_allclose(out['gt_scores'], [0.9, 0.8, 0.4, 0.5])
    np.testing.assert_array_equal(out['gt_embs'][2:], [[2, 2], [3, 3]])
    pasted = covers_20 | disjoint
    assert (out['img'][pasted] == 200).all() and (out['img'][~pasted] == 10).all()


def test_existing_mask_hidden_entirely_is_dropped():
    shape = (10, 10)
    small = rect(shape, 0, 4, 0, 4)
    dst = results(0, [small, rect(shape, 6, 10, 6, 10)], [0.9, 0.8])
    # covering exactly 50 % is too much: only the 25 % one is kept
    left, right = rect(shape, 0, 4, 0, 2), rect(shape, 0, 4, 2, 4)     # each 50 %: dropped
    left_part = rect(shape, 0, 4, 0, 1) | rect(shape, 5, 6, 0, 10)     # 25 %: kept
    right_part = rect(shape, 0, 4, 1, 4)                                # 75 %: dropped
    src = results(1, [left, right, left_part, right_part], [1, 1, 1, 1])
    transform = TRANSFORMS.build(dict(type='FreeSOLOCopyPaste'))
    transform._get_selected_inds = lambda n: np.arange(n)
    out = transform.transform(dict(dst, mix_results=[src]))
    assert len(out['gt_masks']) == 3                 # both existing kept, one pasted
    # now a pasted set whose union hides `small` although each covers < 50 %
    quarters = [rect(shape, 0, 2, 0, 2) | rect(shape, 8, 9, 0, 1),
                rect(shape, 0, 2, 2, 4), rect(shape, 2, 4, 0, 2), rect(shape, 2, 4, 2, 4)]
    src = results(1, quarters, [1, 1, 1, 1])
    dst = results(0, [small, rect(shape, 6, 10, 6, 10)], [0.9, 0.8])
    out = transform.transform(dict(dst, mix_results=[src]))
    assert len(out['gt_masks']) == 5                 # `small` gone, the other + 4 quarters
    assert out['gt_masks'].masks.any(axis=(1, 2)).all()
    assert len(out['gt_scores']) == len(out['gt_embs']) == len(out['gt_bboxes']) == 5


@pytest.mark.parametrize('source_size', [(20, 20), (40, 30)])
def test_random_pastes_keep_labels_consistent(source_size):
    rng = np.random.default_rng(1)
    transform = TRANSFORMS.build(dict(type='FreeSOLOCopyPaste'))
    for trial in range(30):
        def random_masks(shape, n):
            masks = []
            for _ in range(n):
                y0, x0 = rng.integers(0, shape[0] - 3), rng.integers(0, shape[1] - 3)
                masks.append(rect(shape, y0, y0 + rng.integers(2, 10), x0,
                                  x0 + rng.integers(2, 10)))
            return masks
        dst_masks = random_masks((20, 20), 3)
        dst = results(0, dst_masks, [0.1, 0.2, 0.3])
        src = results(255, random_masks(source_size, 4), [0.4, 0.5, 0.6, 0.7])
        out = transform.transform(dict(dst, mix_results=[src]))
        masks = out['gt_masks'].masks.astype(bool)
        assert masks.shape[1:] == (20, 20)
        assert masks.any(axis=(1, 2)).all()
        expected = HorizontalBoxes.from_instance_masks(out['gt_masks']).tensor
        np.testing.assert_array_equal(out['gt_bboxes'].tensor.numpy(), expected.numpy())
        n_kept_dst = int((out['gt_scores'] < 0.35).sum())   # destination scores 0.1-0.3
        assert (out['gt_scores'][:n_kept_dst] < 0.35).all()
        pasted = masks[n_kept_dst:]
        union = pasted.any(axis=0)
        # every kept pasted mask covers < 50 % of every original existing mask, and the
        # existing masks left are the originals minus the pasted pixels
        assert pasted_to_keep(pasted, np.stack(dst_masks), 0.5).all()
        originals = [m & ~union for m in dst_masks if (m & ~union).any()]
        assert len(originals) == n_kept_dst
        for got, want in zip(masks[:n_kept_dst], originals):
            np.testing.assert_array_equal(got, want)
        assert (out['img'][union] == 255).all() and (out['img'][~union] == 0).all()


def test_inside_multi_image_mix_dataset(scenes):
    dataset = DATASETS.build(dict(
        type='MultiImageMixDataset',
        dataset=dict(type='FreeMaskLabelDataset', data_root=str(scenes),
                     ann_file='annotations/instances_train.json', data_prefix=dict(img='train/'),
                     pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadFreeMaskLabels'),
                               dict(type='Resize', scale=(96, 96), keep_ratio=True)]),
        pipeline=[dict(type='FreeSOLOCopyPaste'), dict(type='PackFreeSOLOInputs')]))
    for i in range(len(dataset)):
        gt = dataset[i]['data_samples'].gt_instances
        assert len(gt.scores) == len(gt.masks) == len(gt.bboxes)
