"""Which of a trained model's predictions become the next self-training round's labels."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from mmdet.structures.mask import mask2bbox
from mmengine.structures import InstanceData

from ..errors import UserInputError


@dataclass(frozen=True)
class PredictionSelection:
    """Keep predictions scored >= ``score_thr`` whose mask is not empty and spans less than
    ``max_width_ratio`` of the image width (None: any width), the ``max_per_img`` best of them.

    Near-full-width masks are the background or a whole-image blob (the same rule as Free
    Mask's); they are dropped before the top-k cut so that they take no place in it.
    """
    score_thr: float = 0.3
    max_per_img: int = 20
    max_width_ratio: Optional[float] = 0.95

    def __post_init__(self) -> None:
        if not 0 <= self.score_thr <= 1:
            raise UserInputError(f'score_thr must lie in [0, 1], got {self.score_thr}')
        if self.max_per_img < 1:
            raise UserInputError(f'max_per_img must be positive, got {self.max_per_img}')
        if self.max_width_ratio is not None and not 0 < self.max_width_ratio <= 1:
            raise UserInputError(f'max_width_ratio must lie in (0, 1], got '
                                 f'{self.max_width_ratio}')

    def __call__(self, instances: InstanceData) -> Tuple[InstanceData, Dict[str, int]]:
        """``instances.masks`` (N, H, W) bool and ``scores`` (N, ); returns the kept instances,
        best first, and how many were dropped by each rule."""
        masks, scores = instances.masks, instances.scores
        boxes = mask2bbox(masks)                                    # (N, 4) XYXY, 0 if empty
        confident = scores >= self.score_thr
        empty = confident & ~masks.flatten(1).any(dim=1)
        wide = confident & ~empty
        if self.max_width_ratio is None:
            wide &= False
        else:
            wide &= boxes[:, 2] - boxes[:, 0] >= self.max_width_ratio * masks.shape[-1]
        candidates = (confident & ~empty & ~wide).nonzero().squeeze(1)
        order = scores[candidates].argsort(descending=True, stable=True)
        kept = candidates[order[:self.max_per_img]]
        dropped = dict(below_score=int((~confident).sum()), empty=int(empty.sum()),
                       near_full_width=int(wide.sum()),
                       over_max_per_img=max(len(candidates) - self.max_per_img, 0))
        return instances[kept], dropped
