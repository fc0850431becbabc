"""The COCO annotation fields of a binary mask, its box among them.

Boxes always come from the masks (here, and mmdet's ``mask2bbox`` for tensors): SOLO assigns
targets by the box's size, so a box that does not match its mask puts the object on the wrong
level.
"""
from __future__ import annotations

from typing import Dict

import numpy as np
import pycocotools.mask as mask_utils


def mask_to_annotation(mask: np.ndarray) -> Dict:
    """COCO fields of one binary (H, W) mask: compressed RLE, XYWH box and area from the mask
    (whole pixels, so written as integers)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    box = mask_utils.toBbox(rle).astype(np.int64).tolist()
    area = int(mask_utils.area(rle))
    rle['counts'] = rle['counts'].decode('ascii')
    return dict(segmentation=rle, bbox=box, area=area, iscrowd=0)
