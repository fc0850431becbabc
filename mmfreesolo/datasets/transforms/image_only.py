"""Run transforms on the image alone, leaving the labels as they are."""
from __future__ import annotations

from typing import List

from mmcv.transforms import BaseTransform, Compose
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ImageOnly(BaseTransform):
    """Apply ``transforms`` to ``img`` only: their changes to boxes and masks are not kept.

    FreeSOLO's strong view erases patches of the image but keeps every pseudo-label, while
    mmdet's RandomErasing also cuts the masks and drops boxes (which would also desynchronise
    the scores and embeddings that travel with them): ``ImageOnly([RandomErasing(...)])``.
    """

    def __init__(self, transforms: List[dict]) -> None:
        self.transforms = Compose(transforms)

    def transform(self, results: dict) -> dict:
        image = self.transforms(dict(img=results['img'], img_shape=results['img'].shape[:2]))
        if image is None:
            return None
        results['img'] = image['img']
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.transforms!r})'
