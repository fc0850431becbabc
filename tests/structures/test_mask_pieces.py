"""largest_pieces: each mask of a stack cut to its largest 4-connected piece."""
import numpy as np
import torch
from scipy import ndimage

from mmfreesolo.structures import largest_pieces, mask_pieces


def test_by_hand():
    masks = torch.zeros(4, 5, 6, dtype=torch.bool)
    masks[0, 0, 0] = True
    masks[0, 2:4, 2:5] = True                         # pieces of 1 and 6 px: the 6 kept
    masks[1, 0, 0:2] = True
    masks[1, 4, 4:6] = True                           # two of 2 px: the first in raster order
    masks[3, 1, 1] = masks[3, 2, 2] = masks[3, 2, 3] = True  # diagonal neighbours: two pieces
    expected = torch.zeros_like(masks)
    expected[0, 2:4, 2:5] = True
    expected[1, 0, 0:2] = True
    expected[3, 2, 2:4] = True
    assert torch.equal(largest_pieces(masks), expected)
    assert largest_pieces(masks[:0]).shape == (0, 5, 6)


def _reference(masks):
    """One mask at a time."""
    out = np.zeros_like(masks)
    for i, mask in enumerate(masks):
        labels, num = ndimage.label(mask)             # 4-connected by default in 2-D
        if num:
            sizes = np.bincount(labels.ravel())[1:]
            out[i] = labels == 1 + int(np.argmax(sizes))
    return out


def test_against_one_mask_at_a_time_in_chunks(monkeypatch):
    gen = torch.Generator().manual_seed(0)
    masks = torch.rand(23, 17, 19, generator=gen) > 0.55
    masks[5] = False                                  # an empty mask among the others
    monkeypatch.setattr(mask_pieces, '_CHUNK_ELEMENTS', 4 * 17 * 19)  # chunks of 4 masks
    cut = largest_pieces(masks)
    assert torch.equal(cut, torch.from_numpy(_reference(masks.numpy())))
    assert not cut[5].any() and (cut.sum((1, 2)) < masks.sum((1, 2))).sum() > 15
