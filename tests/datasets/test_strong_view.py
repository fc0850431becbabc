"""The strong view's pieces: blur, and erasing that changes pixels but keeps every label."""
import numpy as np
from mmdet.registry import TRANSFORMS
from mmdet.structures.mask import BitmapMasks
from mmengine.registry import init_default_scope

import mmfreesolo  # noqa: F401

init_default_scope('mmdet')


def labelled_image():
    rng = np.random.default_rng(0)
    masks = np.zeros((2, 40, 40), dtype=np.uint8)
    masks[0, 5:20, 5:20] = 1
    masks[1, 22:38, 10:30] = 1
    bitmap = BitmapMasks(masks, 40, 40)
    return dict(img=rng.integers(0, 256, (40, 40, 3), dtype=np.uint8), gt_masks=bitmap,
                gt_bboxes=bitmap.get_bboxes('hbox'),
                gt_bboxes_labels=np.zeros(2, dtype=np.int64),
                gt_ignore_flags=np.zeros(2, dtype=bool),
                gt_scores=np.array([0.9, 0.8], dtype=np.float32))


def test_image_only_erasing_keeps_every_label():
    results = labelled_image()
    before = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in results.items()}
    masks_before = results['gt_masks'].masks.copy()
    boxes_before = results['gt_bboxes'].tensor.clone()
    erase = TRANSFORMS.build(dict(type='ImageOnly', transforms=[
        dict(type='RandomErasing', n_patches=3, ratio=(0.5, 0.6), img_border_value=0)]))
    out = erase(results)
    assert (out['img'] == 0).sum() > 3 * 20 * 20            # three patches of >= 20 px erased
    np.testing.assert_array_equal(out['gt_masks'].masks, masks_before)
    assert out['gt_bboxes'].tensor.equal(boxes_before)
    np.testing.assert_array_equal(out['gt_scores'], before['gt_scores'])
    # mmdet's RandomErasing alone would cut the masks
    cut = TRANSFORMS.build(dict(type='RandomErasing', n_patches=3, ratio=(0.5, 0.6)))(
        dict(labelled_image(), img_shape=(40, 40)))
    assert cut['gt_masks'].masks.sum() < masks_before.sum()


def test_gaussian_blur():
    results = labelled_image()
    image = results['img'].copy()
    assert np.array_equal(
        TRANSFORMS.build(dict(type='RandomGaussianBlur', prob=0.0))(results)['img'], image)
    blurred = TRANSFORMS.build(dict(type='RandomGaussianBlur', prob=1.0, sigma=(2.0, 2.0)))(
        dict(img=image.copy()))['img']
    assert blurred.shape == image.shape and blurred.dtype == np.uint8
    # neighbouring pixels of noise become alike
    assert np.abs(np.diff(blurred.astype(float), axis=1)).mean() < \
        0.2 * np.abs(np.diff(image.astype(float), axis=1)).mean()
