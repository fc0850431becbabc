"""How much of its image's frame a mask covers.

Background regions reach the image's edges, along much of them; objects seldom do. The frame is
the image's outermost rows and columns, 2 (H + W) - 4 pixels.
"""
from __future__ import annotations

import numpy as np


def frame_fractions(masks: np.ndarray) -> np.ndarray:
    """(..., H, W) binary masks -> (...) float64, the fraction of the frame's pixels each covers
    (H and W at least 2)."""
    masks = np.asarray(masks, dtype=bool)
    height, width = masks.shape[-2:]
    if height < 2 or width < 2:
        raise ValueError(f'a frame needs masks of at least 2 x 2 pixels, got {height} x {width}')
    on_frame = (masks[..., 0, :].sum(-1) + masks[..., -1, :].sum(-1)
                + masks[..., 1:-1, 0].sum(-1) + masks[..., 1:-1, -1].sum(-1))
    return on_frame / (2 * (height + width) - 4)
