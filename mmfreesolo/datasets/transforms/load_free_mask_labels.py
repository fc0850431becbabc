"""Loading pseudo-labels with their scores and embeddings."""
from __future__ import annotations

import numpy as np
from mmdet.datasets.transforms import LoadAnnotations
from mmdet.registry import TRANSFORMS

from ...errors import UserInputError


@TRANSFORMS.register_module()
class LoadFreeMaskLabels(LoadAnnotations):
    """mmdet's LoadAnnotations (boxes, labels, masks) plus ``gt_scores`` (N, ) float32 and, with
    ``with_emb``, ``gt_embs`` (N, D) float32, from :class:`FreeMaskLabelDataset` instances."""

    def __init__(self, *args, with_bbox: bool = True, with_mask: bool = True,
                 with_score: bool = True, with_emb: bool = False, **kwargs) -> None:
        super().__init__(*args, with_bbox=with_bbox, with_mask=with_mask, **kwargs)
        self.with_score = with_score
        self.with_emb = with_emb

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        instances = results.get('instances', [])
        if self.with_score:
            results['gt_scores'] = np.array([i.get('score', 1.0) for i in instances],
                                            dtype=np.float32)
        if self.with_emb:
            if any('emb' not in i for i in instances):
                raise UserInputError(f'{results.get("img_path")}: pseudo-labels without "emb"; '
                                     'set with_emb=True on FreeMaskLabelDataset too')
            embs = [i['emb'] for i in instances]
            if len({len(e) for e in embs}) > 1:
                raise UserInputError(f'{results.get("img_path")}: embeddings of different '
                                     'lengths in one image')
            results['gt_embs'] = np.array(embs, dtype=np.float32).reshape(len(embs), -1)
        return results
