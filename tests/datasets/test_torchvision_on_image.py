"""torchvision's colour jitter, grayscale, blur and erasing on the image only, every label kept:
in a pipeline (numpy HWC) and on a tensor (CHW, any device) alike."""
import numpy as np
import pytest
import torch
from mmdet.registry import TRANSFORMS
from mmdet.structures.mask import BitmapMasks
from mmengine.registry import init_default_scope

import mmfreesolo  # noqa: F401
from mmfreesolo.datasets.transforms.torchvision_on_image import TorchvisionImageTransforms

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


def test_erasing_changes_pixels_and_keeps_every_label():
    torch.manual_seed(0)
    results = labelled_image()
    image = results['img'].copy()
    masks_before = results['gt_masks'].masks.copy()
    boxes_before = results['gt_bboxes'].tensor.clone()
    erase = TRANSFORMS.build(dict(
        type='TorchvisionOnImage',
        normalize=dict(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
        transforms=[dict(type='RandomErasing', p=1.0, scale=(0.1, 0.1), ratio=(1.0, 1.0),
                         value='random')]))
    out = erase(results)
    changed = (out['img'] != image).any(axis=2)
    # one square of 10 % of the image (about 13 x 13 px), filled with noise
    assert 120 <= changed.sum() <= 13 * 13
    ys, xs = np.nonzero(changed)
    assert ys.max() - ys.min() <= 13 and xs.max() - xs.min() <= 13
    assert len(np.unique(out['img'][changed])) > 20
    np.testing.assert_array_equal(out['gt_masks'].masks, masks_before)
    assert out['gt_bboxes'].tensor.equal(boxes_before)
    np.testing.assert_array_equal(out['gt_scores'], np.float32([0.9, 0.8]))


def test_identity_round_trip_and_rgb_channel_order():
    image = labelled_image()['img']
    same = TRANSFORMS.build(dict(type='TorchvisionOnImage', transforms=[
        dict(type='RandomGrayscale', p=0.0)]))(dict(img=image.copy()))['img']
    np.testing.assert_array_equal(same, image)
    # pure blue in BGR: ITU-R 601 luma gives 0.114 x 255 = 29 only if read as RGB's blue
    blue = np.zeros((4, 4, 3), np.uint8)
    blue[..., 0] = 255
    gray = TRANSFORMS.build(dict(type='TorchvisionOnImage', transforms=[
        dict(type='RandomGrayscale', p=1.0)]))(dict(img=blue))['img']
    assert gray.shape == (4, 4, 3) and abs(int(gray[0, 0, 0]) - 29) <= 1
    assert (gray == gray[..., :1]).all()


def test_colour_jitter_in_random_apply():
    torch.manual_seed(0)
    image = labelled_image()['img']
    jitter = TRANSFORMS.build(dict(type='TorchvisionOnImage', transforms=[
        dict(type='RandomApply', p=1.0, transforms=[
            dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)])]))
    out = jitter(dict(img=image.copy()))['img']
    assert out.shape == image.shape and out.dtype == np.uint8 and (out != image).any()
    with pytest.raises(ValueError, match='no transform'):
        TRANSFORMS.build(dict(type='TorchvisionOnImage', transforms=[dict(type='Nope')]))


def test_gaussian_blur_in_random_apply():
    image = labelled_image()['img']
    blur = dict(type='RandomApply', p=1.0, transforms=[
        dict(type='GaussianBlur', kernel_size=13, sigma=(2.0, 2.0))])
    blurred = TRANSFORMS.build(dict(type='TorchvisionOnImage', transforms=[blur]))(
        dict(img=image.copy()))['img']
    assert blurred.shape == image.shape and blurred.dtype == np.uint8
    # neighbouring pixels of noise become alike
    assert np.abs(np.diff(blurred.astype(float), axis=1)).mean() < \
        0.2 * np.abs(np.diff(image.astype(float), axis=1)).mean()


def test_tensor_path_equals_the_pipeline_transform():
    """The same transforms from the same random state give the same pixels on a (3, H, W) BGR
    tensor (what the data preprocessor holds) as on the pipeline's (H, W, 3) array."""
    image = labelled_image()['img']
    cfg = dict(transforms=[
        dict(type='RandomApply', p=1.0, transforms=[
            dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)]),
        dict(type='RandomErasing', p=1.0, value='random')],
        normalize=dict(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]))
    torch.manual_seed(3)
    expected = TRANSFORMS.build(dict(type='TorchvisionOnImage', **cfg))(
        dict(img=image.copy()))['img']
    torch.manual_seed(3)
    got = TorchvisionImageTransforms(**cfg)(torch.from_numpy(image.transpose(2, 0, 1).copy()))
    assert got.dtype == torch.uint8 and got.shape == (3, 40, 40)
    np.testing.assert_array_equal(got.numpy().transpose(1, 2, 0), expected)
    assert (got.numpy().transpose(1, 2, 0) != image).any()
