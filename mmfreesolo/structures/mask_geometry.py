"""What is derived from a binary mask: its box, and its COCO annotation fields.

Boxes always come from the masks: SOLO assigns targets by the box's size, so a box that does not
match its mask puts the object on the wrong level.
"""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np
import pycocotools.mask as mask_utils
import torch
from torch import Tensor


def boxes_from_masks(masks: Tensor, rows: Optional[Tensor] = None,
                     cols: Optional[Tensor] = None) -> Tensor:
    """(N, H, W) bool masks -> (N, 4) XYXY boxes of their pixels; zeros for an empty mask.

    ``rows`` (N, H) and ``cols`` (N, W), whether each row / column holds a pixel of the mask,
    may be passed when already computed, to spare a pass over the pixels.
    """
    n, h, w = masks.shape
    rows = masks.any(dim=2) if rows is None else rows
    cols = masks.any(dim=1) if cols is None else cols
    ys = torch.arange(h, device=masks.device)
    xs = torch.arange(w, device=masks.device)
    boxes = torch.stack([
        torch.where(cols, xs, w).min(dim=1).values,
        torch.where(rows, ys, h).min(dim=1).values,
        torch.where(cols, xs, -1).max(dim=1).values + 1,
        torch.where(rows, ys, -1).max(dim=1).values + 1,
    ], dim=1).float()
    return boxes * rows.any(dim=1, keepdim=True)


def mask_to_annotation(mask: np.ndarray) -> Dict:
    """COCO fields of one binary (H, W) mask: compressed RLE, XYWH box and area from the mask."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    box = mask_utils.toBbox(rle).tolist()
    area = float(mask_utils.area(rle))
    rle['counts'] = rle['counts'].decode('ascii')
    return dict(segmentation=rle, bbox=[float(v) for v in box], area=area, iscrowd=0)
