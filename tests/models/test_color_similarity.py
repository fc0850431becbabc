import math

import numpy as np
import pytest
import torch
from skimage.color import rgb2lab

from mmfreesolo.models.data_preprocessors import color_similarity, rgb_to_lab

OFFSETS = [(dy, dx) for dy in (-2, 0, 2) for dx in (-2, 0, 2) if (dy, dx) != (0, 0)]


def _images(scenes, count=2):
    import cv2
    return [cv2.imread(str(scenes / 'train' / f'{i:06d}.png'))[..., ::-1].copy()
            for i in range(1, count + 1)]


def test_lab_matches_scikit_image(scenes):
    rng = np.random.default_rng(0)
    images = _images(scenes) + [rng.integers(0, 256, (32, 48, 3), dtype=np.uint8),
                                np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 255, np.uint8)]
    for image in images:
        ours = rgb_to_lab(torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255)
        np.testing.assert_allclose(ours[0].permute(1, 2, 0).numpy(), rgb2lab(image), atol=2e-3)


def test_similarity_matches_per_image_reference(scenes):
    images = _images(scenes)
    batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()
    ours = color_similarity(batch, stride=4)
    assert ours.shape == (2, 8, 32, 32)
    for b, image in enumerate(images):
        pooled = image.reshape(32, 4, 32, 4, 3).mean(axis=(1, 3))
        lab = rgb2lab(pooled / 255)
        for k, (dy, dx) in enumerate(OFFSETS):
            for y in range(0, 32, 3):
                for x in range(0, 32, 3):
                    if 0 <= y + dy < 32 and 0 <= x + dx < 32:
                        diff = lab[y, x] - lab[y + dy, x + dx]
                        expected = math.exp(-0.5 * np.linalg.norm(diff))
                        assert ours[b, k, y, x].item() == pytest.approx(expected, abs=1e-3)


def test_uniform_image_is_fully_similar_inside():
    batch = torch.full((1, 3, 40, 40), 77.0)
    sim = color_similarity(batch)  # 10 x 10 cells; neighbours 2 cells away
    assert torch.allclose(sim[..., 2:-2, 2:-2], torch.ones(1, 8, 6, 6))
    batch[:, 0, :, 20:] = 200.0  # a colour edge between cells 4 and 5
    sim = color_similarity(batch)
    assert sim[0, 4, 5, 3].item() < 0.01  # cell (5, 3) and its right neighbour (5, 5)
    assert sim[0, 4, 5, 6].item() == pytest.approx(1.0)


def test_preprocessor_similarity_is_that_of_the_padded_input_image():
    """The preprocessor pools before it undoes the normalisation (both linear): the similarity
    is still that of the padded RGB image, the padding at the mean colour."""
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmengine.registry import DefaultScope

    import mmfreesolo  # noqa: F401
    mean, std = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
    # another test's Runner may have left its default scope current: build from mmdet's
    with DefaultScope.overwrite_default_scope('mmdet'):
        pre = MODELS.build(dict(type='FreeSOLODataPreprocessor', mean=mean, std=std,
                                bgr_to_rgb=True, pad_size_divisor=32, mask_stride=4))
    gen = torch.Generator().manual_seed(0)
    images = [torch.randint(0, 256, (3, 50, 70), generator=gen, dtype=torch.uint8),
              torch.randint(0, 256, (3, 64, 40), generator=gen, dtype=torch.uint8)]
    samples = [DetDataSample(metainfo=dict(img_shape=tuple(i.shape[1:]))) for i in images]
    data = pre(dict(inputs=images, data_samples=samples), training=True)
    padded = torch.tensor(mean)[:, None, None].expand(2, 3, 64, 96).clone()
    for k, image in enumerate(images):
        padded[k, :, :image.shape[1], :image.shape[2]] = image.flip(0).float()  # BGR -> RGB
    expected = color_similarity(padded, 4, 3, 2)
    for k, sample in enumerate(data['data_samples']):
        torch.testing.assert_close(sample.color_similarity, expected[k], atol=1e-5, rtol=1e-4)
