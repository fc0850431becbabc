"""The largest 4-connected piece of each of a stack of binary masks.

A mask predicted from colour-driven features often lights up its object and, apart from it,
other regions of the same colour; keeping the largest piece keeps the object.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage
from torch import Tensor

# 4-connected within each mask of a (K, h, w) stack, never across masks
WITHIN_MASK_4_CONNECTED = np.zeros((3, 3, 3), dtype=bool)
WITHIN_MASK_4_CONNECTED[1] = [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
# masks labelled at once: bounds the (chunk, H, W) int32 labels to about 256 MB
_CHUNK_ELEMENTS = 64 * 1024 * 1024


def largest_pieces(masks: Tensor) -> Tensor:
    """(N, H, W) bool masks -> (N, H, W) bool, each mask reduced to its largest 4-connected
    piece (the first in raster order among equals); an empty mask stays empty."""
    if masks.numel() == 0:
        return masks.clone()
    n, h, w = masks.shape
    step = max(1, _CHUNK_ELEMENTS // (h * w))
    kept = [_largest_pieces(masks[i:i + step].cpu().numpy()) for i in range(0, n, step)]
    return torch.from_numpy(np.concatenate(kept)).to(masks.device)


def _largest_pieces(masks: np.ndarray) -> np.ndarray:
    labels, num = ndimage.label(masks, structure=WITHIN_MASK_4_CONNECTED)
    flat = labels.reshape(len(masks), -1)
    sizes = np.bincount(flat.ravel(), minlength=num + 1)[1:]             # piece 1..num
    # labels run in raster order over the stack, so mask i's pieces are the labels from the
    # previous mask's last one + 1 to its own last one
    last = np.maximum.accumulate(flat.max(axis=1))
    pieces = np.arange(1, num + 1)
    owner = np.searchsorted(last, pieces)                                 # mask of each piece
    order = np.lexsort((pieces, -sizes, owner))       # by mask, then largest, then first
    owners, first = np.unique(owner[order], return_index=True)
    best = np.full(len(masks), -1, dtype=np.int64)                       # -1: no piece
    best[owners] = pieces[order[first]]
    return (flat == best[:, None]).reshape(masks.shape)
