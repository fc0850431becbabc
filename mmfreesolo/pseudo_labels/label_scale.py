"""Whether a folder's objects reach the rounds at the size their head was sized for.

A SOLO head resolves objects of the sizes its grids and scale ranges were chosen for. The CPU
configs train at 128 px: a 512-px micrograph is shrunk 4x there and its 20-px nuclei become 5-px
ones, which no grid cell isolates. Before the first round, the training images' sizes and Free
Mask's labels are read (a scan: a label file can take gigabytes) and the sizes their objects
will have at the training scale are compared with the range the config states.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..fileio.coco_file_scan import scan_coco_file

# an image shrunk more than this is reported: a factor of 1.5 is what resizing to the training
# scale does to slightly larger photos, not a change of the objects' scale
_SHRINK_REPORTED = 1.5
# objects outside the range are reported when the median is, or when this share of them is
_SHARE_REPORTED = 0.5


def training_scale_factors(label_file: str, scale: Tuple[int, int]) -> Dict[int, float]:
    """Image id -> the factor mmdet's ``Resize(scale, keep_ratio=True)`` resizes it by."""
    long_side, short_side = max(scale), min(scale)
    factors = {}
    for element in scan_coco_file(label_file):
        if element.key == 'images' and element.index is not None:
            h, w = element.value['height'], element.value['width']
            factors[element.value['id']] = min(long_side / max(h, w), short_side / min(h, w))
    return factors


def object_sides(label_file: str, factors: Dict[int, float]) -> np.ndarray:
    """The longer box side of every label, in pixels at the training scale."""
    sides = [max(element.value['bbox'][2:]) * factors[element.value['image_id']]
             for element in scan_coco_file(label_file)
             if element.key == 'annotations' and element.index is not None]
    return np.asarray(sides, dtype=np.float64)


def scale_warnings(label_file: str, scale: Tuple[int, int],
                   object_sizes: Sequence[float]) -> List[str]:
    """What a user should be told before training on ``label_file`` at ``scale`` (h, w) with a
    head sized for objects of ``object_sizes`` (min, max) px: images shrunk by more than 1.5x,
    and label objects whose median size, or half of which, fall outside the range."""
    factors = training_scale_factors(label_file, scale)
    warnings = []
    shrunk = [f for f in factors.values() if f * _SHRINK_REPORTED < 1]
    if shrunk:
        warnings.append(
            f'{len(shrunk)} of {len(factors)} images are shrunk to the training scale '
            f'{max(scale)} px, by up to {1 / min(shrunk):.1f}x, and their objects with them; to '
            'keep objects at their size, cut the images into tiles (tools/tile_images.py, '
            'docs/own_data.md)')
    sides = object_sides(label_file, factors)
    if len(sides):
        low, high = object_sizes
        median = float(np.median(sides))
        outside = float(np.mean((sides < low) | (sides > high)))
        if not low <= median <= high or outside >= _SHARE_REPORTED:
            advice = ('cut the images into smaller tiles, or train at a larger scale'
                      if median < low else 'train at a smaller scale')
            warnings.append(
                f'the Free Mask labels\' objects measure {median:.0f} px at the training scale '
                f'(median of {len(sides)}; {outside:.0%} outside {low:g}-{high:g} px, the sizes '
                f'the head is sized for, self_training.object_sizes): {advice}')
    return warnings
