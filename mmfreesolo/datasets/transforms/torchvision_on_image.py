"""torchvision's image augmentations in an mmdet pipeline, on the image alone."""
from __future__ import annotations

from typing import List, Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from torchvision.transforms import v2


def build_torchvision(cfg: dict):
    """A ``torchvision.transforms.v2`` transform from ``dict(type=name, **kwargs)``; kwargs that
    are lists of such dicts (``RandomApply``'s ``transforms``) are built too."""
    cfg = dict(cfg)
    name = cfg.pop('type')
    if not hasattr(v2, name):
        raise ValueError(f'torchvision.transforms.v2 has no transform {name!r}')
    for key, value in cfg.items():
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
            cfg[key] = [build_torchvision(v) for v in value]
    return getattr(v2, name)(**cfg)


@TRANSFORMS.register_module()
class TorchvisionOnImage(BaseTransform):
    """Apply ``torchvision.transforms.v2`` transforms to ``img`` only; every label is kept.

    FreeSOLO's strong view changes pixels only: erased pixels keep their labels (mmdet's
    RandomErasing would cut the masks and drop boxes, and the scores and embeddings that travel
    with them).

    The BGR uint8 image is handed to the transforms as an RGB float tensor in [0, 1] (colour
    jitter and grayscale read the channels as RGB) or, with ``normalize``, standardised by that
    mean and std (for ``RandomErasing(value='random')``, whose N(0, 1) fill is the colour
    distribution of a standardised image); the result is clipped back to uint8.

    Args:
        transforms: ``dict(type=<torchvision.transforms.v2 name>, **kwargs)`` applied in order,
            e.g. ``dict(type='RandomApply', p=0.8, transforms=[dict(type='ColorJitter', ...)])``.
        normalize: ``dict(mean=[...], std=[...])`` of RGB in [0, 1], or None.
    """

    def __init__(self, transforms: List[dict], normalize: Optional[dict] = None) -> None:
        self.transform_cfgs = [dict(t) for t in transforms]
        self.transforms = v2.Compose([build_torchvision(t) for t in transforms])
        self.mean = self.std = None
        if normalize is not None:
            self.mean = torch.tensor(normalize['mean'], dtype=torch.float32)[:, None, None]
            self.std = torch.tensor(normalize['std'], dtype=torch.float32)[:, None, None]

    def transform(self, results: dict) -> dict:
        image = results['img']
        rgb = torch.from_numpy(np.ascontiguousarray(image[..., ::-1].transpose(2, 0, 1)))
        x = rgb.float() / 255
        if self.mean is not None:
            x = (x - self.mean) / self.std
        x = self.transforms(x)
        if self.mean is not None:
            x = x * self.std + self.mean
        out = (x * 255).round().clamp(0, 255).to(torch.uint8).numpy()
        results['img'] = np.ascontiguousarray(out.transpose(1, 2, 0)[..., ::-1])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(transforms={self.transform_cfgs!r})'
