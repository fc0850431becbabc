"""FreeSOLO's copy-paste of another image's pseudo-labels."""
from __future__ import annotations

import random

import mmcv
import numpy as np
from mmdet.datasets.transforms import CopyPaste
from mmdet.registry import TRANSFORMS
from mmdet.structures.mask import BitmapMasks

# Per-instance arrays that travel with the masks (the boxes are recomputed from the masks).
INSTANCE_KEYS = ('gt_bboxes_labels', 'gt_ignore_flags', 'gt_scores', 'gt_embs')


def pasted_to_keep(pasted: np.ndarray, existing: np.ndarray, max_cover: float) -> np.ndarray:
    """Which pasted masks cover less than ``max_cover`` of every existing mask.

    Args:
        pasted: (P, H, W) bool masks to paste.
        existing: (D, H, W) bool masks of the destination image.

    Returns:
        (P, ) bool.
    """
    if len(existing) == 0 or len(pasted) == 0:
        return np.ones(len(pasted), dtype=bool)
    flat_pasted = pasted.reshape(len(pasted), -1).astype(np.float32)
    flat_existing = existing.reshape(len(existing), -1).astype(np.float32)
    overlap = flat_pasted @ flat_existing.T                     # (P, D) shared pixels
    area = np.maximum(flat_existing.sum(axis=1), 1)             # (D, )
    return (overlap / area[None, :] < max_cover).all(axis=1)


@TRANSFORMS.register_module()
class FreeSOLOCopyPaste(CopyPaste):
    """Paste a random subset of another image's pseudo-labels onto this image (FreeSOLO).

    As mmdet's CopyPaste (used inside ``MultiImageMixDataset``), with FreeSOLO's rules: a pasted
    mask is kept only if it covers less than ``max_cover`` of every existing mask; the kept ones
    occlude the existing masks; existing masks left empty are dropped; every box is recomputed
    from its mask. The source image is resized to the destination's size when they differ, so
    multi-scale pipelines need no fixed-size padding. Scores and embeddings travel with their
    masks.

    Args:
        max_num_pasted: at most this many source instances are drawn (uniformly 0..N).
        max_cover: a pasted mask covering this fraction of an existing one or more is dropped.
        prob: probability of pasting at all.
    """

    def __init__(self, max_num_pasted: int = 100, max_cover: float = 0.5,
                 prob: float = 1.0) -> None:
        super().__init__(max_num_pasted=max_num_pasted, selected=True)
        self.max_cover = max_cover
        self.prob = prob

    def get_indexes(self, dataset) -> int:
        # mmdet's draws randint(0, len(dataset)), whose upper end is past the last image
        return random.randrange(len(dataset))

    def transform(self, results: dict) -> dict:
        assert len(results.get('mix_results', [])) == 1, \
            'FreeSOLOCopyPaste runs inside MultiImageMixDataset, on one other image'
        source = results['mix_results'][0]
        if random.random() >= self.prob or len(source['gt_masks']) == 0:
            return results
        source = self._select_object(self._resized_like(source, results['img'].shape[:2]))
        return self._copy_paste(results, source)

    @staticmethod
    def _resized_like(source: dict, shape) -> dict:
        if source['img'].shape[:2] == tuple(shape):
            return source
        source = dict(source)
        source['img'] = mmcv.imresize(source['img'], (shape[1], shape[0]))
        source['gt_masks'] = source['gt_masks'].resize(tuple(shape))
        return source

    def _select_object(self, results: dict) -> dict:
        index = self._get_selected_inds(len(results['gt_masks']))
        selected = dict(results)
        selected['gt_masks'] = results['gt_masks'][index]
        for key in INSTANCE_KEYS:
            if key in results:
                selected[key] = results[key][index]
        return selected

    def _copy_paste(self, dst: dict, src: dict) -> dict:
        dst_masks = dst['gt_masks'].masks.astype(bool)
        src_masks = src['gt_masks'].masks.astype(bool)
        keep = pasted_to_keep(src_masks, dst_masks, self.max_cover)
        src_masks = src_masks[keep]
        if len(src_masks) == 0:
            return dst
        pasted = src_masks.any(axis=0)                          # (H, W)
        dst_masks = dst_masks & ~pasted
        visible = dst_masks.any(axis=(1, 2))

        dst['img'] = np.where(pasted[..., None], src['img'], dst['img']).astype(dst['img'].dtype)
        masks = np.concatenate([dst_masks[visible], src_masks]).astype(np.uint8)
        height, width = pasted.shape
        dst['gt_masks'] = BitmapMasks(masks, height, width)
        dst['gt_bboxes'] = dst['gt_masks'].get_bboxes(type(dst['gt_bboxes']))
        for key in INSTANCE_KEYS:
            if key in dst:
                if key not in src:
                    raise KeyError(f'{key} is in the destination image but not in the pasted one')
                dst[key] = np.concatenate([dst[key][visible], src[key][keep]])
        return dst

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_num_pasted={self.max_num_pasted}, '
                f'max_cover={self.max_cover}, prob={self.prob})')
