"""AffinityMaskRefinement: masks snapped to colour edges, against hand-made cases and a per-pixel
reference written with loops."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmfreesolo.errors import UserInputError
from mmfreesolo.models.data_preprocessors import rgb_to_lab
from mmfreesolo.pseudo_labels.mask_refinement import AffinityMaskRefinement

BLUE_SQUARE = (slice(4, 10), slice(5, 11))  # 6 x 6 pixels


def _square_image():
    """16 x 16 BGR: an orange background and a blue 6 x 6 square."""
    image = np.zeros((16, 16, 3), np.uint8)
    image[:] = (30, 60, 200)
    image[BLUE_SQUARE] = (220, 40, 30)
    return image


def _square():
    square = torch.zeros(16, 16, dtype=torch.bool)
    square[BLUE_SQUARE] = True
    return square


def test_a_coarse_mask_snaps_to_its_object_and_a_speck_vanishes():
    masks = torch.zeros(3, 16, 16, dtype=torch.bool)
    masks[0, 3:11, 4:12] = True   # spills one pixel over every side of the square
    masks[1, 5:10, 5:11] = True   # one row short of it
    masks[2, 6:8, 7:9] = True     # 4 of its 36 pixels: diffuses below the threshold
    refined = AffinityMaskRefinement().refine_masks(masks, _square_image())
    assert torch.equal(refined[0], _square()) and torch.equal(refined[1], _square())
    assert not refined[2].any()


def _reference_diffusion(values, image, dilations, iterations, temperature):
    """The diffusion written pixel by pixel: weights from each LAB channel's softmax over the
    neighbours (borders clamped), averaged over the channels; then the weighted means."""
    height, width = image.shape[:2]
    rgb = torch.from_numpy(image[..., ::-1].copy()).permute(2, 0, 1).double()[None] / 255
    lab = (rgb_to_lab(rgb)[0] / torch.tensor([100.0, 255.0, 255.0]).double()[:, None, None])
    offsets = [(dy * d, dx * d) for d in dilations for dy in (-1, 0, 1) for dx in (-1, 0, 1)
               if (dy, dx) != (0, 0)]

    def at(y, x):
        return min(max(y, 0), height - 1), min(max(x, 0), width - 1)

    weights = np.zeros((height, width, len(offsets)))
    for y in range(height):
        for x in range(width):
            for c in range(3):
                neighbours = np.array([lab[c][at(y + dy, x + dx)].item() for dy, dx in offsets])
                spread = neighbours.std(ddof=1) + 1e-3
                logits = -np.abs(neighbours - lab[c, y, x].item()) / (temperature * spread)
                soft = np.exp(logits - logits.max())
                weights[y, x] += soft / soft.sum() / 3
    values = values.double().numpy()
    for _ in range(iterations):
        values = np.stack([[[sum(weights[y, x, k] * mask[at(y + dy, x + dx)]
                                 for k, (dy, dx) in enumerate(offsets))
                             for x in range(width)] for y in range(height)] for mask in values])
    return values


def test_diffusion_matches_a_per_pixel_reference():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    image[2:6, 3:8] = (40, 200, 90)  # an object among the noise
    values = torch.from_numpy(rng.random((2, 7, 9))).float()
    refinement = AffinityMaskRefinement(dilations=(1, 3), iterations=3, temperature=0.5)
    expected = _reference_diffusion(values, image, (1, 3), 3, 0.5)
    np.testing.assert_allclose(refinement.diffuse(values, image).numpy(), expected, atol=1e-5)


def test_instances_keep_their_scores_and_emptied_masks_are_counted():
    masks = torch.zeros(3, 16, 16, dtype=torch.bool)
    masks[0, 3:11, 4:12] = True
    masks[1, 6:8, 7:9] = True
    masks[2, 4:10, 5:11] = True
    instances = InstanceData(masks=masks, scores=torch.tensor([0.9, 0.8, 0.7]))
    instances.embeddings = torch.arange(6.).view(3, 2)
    kept, dropped = AffinityMaskRefinement()(instances, _square_image())
    assert dropped == dict(empty_after_refinement=1)
    assert kept.scores.tolist() == pytest.approx([0.9, 0.7])
    assert kept.embeddings.tolist() == [[0, 1], [4, 5]]
    assert all(torch.equal(m, _square()) for m in kept.masks)
    none, dropped = AffinityMaskRefinement()(instances[:0], _square_image())
    assert len(none) == 0 and dropped == {}


def test_settings_are_checked_and_recorded():
    assert AffinityMaskRefinement(dilations=[1, 2]).settings() == dict(
        dilations=[1, 2], iterations=10, temperature=0.3, threshold=0.5)
    for bad in (dict(dilations=()), dict(dilations=(0, 1)), dict(iterations=0),
                dict(temperature=0), dict(threshold=1.0)):
        with pytest.raises(UserInputError, match='mask refinement'):
            AffinityMaskRefinement(**bad)
    assert AffinityMaskRefinement.from_settings(dict(iterations=3)).iterations == 3
    with pytest.raises(UserInputError, match=r"unknown settings \['steps'\]"):
        AffinityMaskRefinement.from_settings(dict(steps=3))
    with pytest.raises(ValueError, match='masks of'):
        AffinityMaskRefinement().refine_masks(torch.ones(1, 8, 8, dtype=torch.bool),
                                              _square_image())
