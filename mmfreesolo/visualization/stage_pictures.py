"""One picture per image with a titled panel per stage (ground truth, Free Mask, each round),
so that the stages can be compared on the same image."""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .overlay import draw_instances

# Small images are enlarged to at least this many pixels on their longer side before drawing,
# so that masks and scores stay legible.
MIN_SIDE = 256
TITLE_HEIGHT = 22
GAP = 6


def enlarge(image: np.ndarray, masks: np.ndarray) -> Tuple[np.ndarray, np.ndarray, int]:
    """(H, W, 3) image and (N, H, W) masks scaled by the integer factor that brings the longer
    side to :data:`MIN_SIDE` (1 for larger images); returns them and the factor."""
    factor = max(1, -(-MIN_SIDE // max(image.shape[:2])))
    if factor == 1:
        return image, masks, 1
    big = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
    return big, masks.repeat(factor, axis=1).repeat(factor, axis=2), factor


def draw_panel(image: np.ndarray, title: str, masks: Optional[np.ndarray] = None,
               boxes: Optional[np.ndarray] = None,
               scores: Optional[np.ndarray] = None, names: bool = True) -> np.ndarray:
    """One stage's instances on the (H, W, 3) uint8 RGB image, under a title strip.

    ``masks`` (N, H, W) bool, ``boxes`` (N, 4) XYXY, ``scores`` (N, ) or None for ground truth;
    no masks at all draws the image alone; ``names=False`` writes no label on the instances.
    """
    if masks is None:
        masks = np.zeros((0, ) + image.shape[:2], bool)
    image, masks, factor = enlarge(image, masks)
    drawn = draw_instances(image, masks, None if boxes is None else boxes * factor, scores,
                           names=names)
    strip = np.full((TITLE_HEIGHT, drawn.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, title, (4, TITLE_HEIGHT - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0),
                1, cv2.LINE_AA)
    return np.concatenate([strip, drawn])


def side_by_side(panels: Sequence[np.ndarray]) -> np.ndarray:
    """Panels of one height in a row, separated by white gaps."""
    gap = np.full((panels[0].shape[0], GAP, 3), 255, np.uint8)
    row: List[np.ndarray] = []
    for panel in panels:
        row.extend([panel, gap])
    return np.concatenate(row[:-1], axis=1)
