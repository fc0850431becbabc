"""torchvision's image augmentations on an mmdet image alone, in a pipeline or on a tensor."""
from __future__ import annotations

from typing import List, Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from torch import Tensor
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


class TorchvisionImageTransforms:
    """``torchvision.transforms.v2`` transforms on a (3, H, W) BGR uint8 image tensor, on the
    device it lies on; each call draws its own random parameters.

    The image is handed to the transforms as an RGB float tensor in [0, 1] (colour jitter and
    grayscale read the channels as RGB) or, with ``normalize``, standardised by that mean and
    std (for ``RandomErasing(value='random')``, whose N(0, 1) fill is the colour distribution
    of a standardised image); the result is rounded and clipped back to BGR uint8.

    Args:
        transforms: ``dict(type=<torchvision.transforms.v2 name>, **kwargs)`` applied in order,
            e.g. ``dict(type='RandomApply', p=0.8, transforms=[dict(type='ColorJitter', ...)])``.
        normalize: ``dict(mean=[...], std=[...])`` of RGB in [0, 1], or None.
    """

    def __init__(self, transforms: List[dict], normalize: Optional[dict] = None) -> None:
        self.transform_cfgs = [dict(t) for t in transforms]
        self.normalize = dict(normalize) if normalize is not None else None
        self.transforms = v2.Compose([build_torchvision(t) for t in transforms])
        self.mean = self.std = None
        if normalize is not None:
            self.mean = torch.tensor(normalize['mean'], dtype=torch.float32)[:, None, None]
            self.std = torch.tensor(normalize['std'], dtype=torch.float32)[:, None, None]

    def __call__(self, image: Tensor) -> Tensor:
        x = image.flip(0).float() / 255
        if self.mean is not None:
            mean, std = self.mean.to(x.device), self.std.to(x.device)
            x = self.transforms((x - mean) / std) * std + mean
        else:
            x = self.transforms(x)
        return (x * 255).round().clamp(0, 255).to(torch.uint8).flip(0)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transform_cfgs!r}, '
                f'normalize={self.normalize!r})')


@TRANSFORMS.register_module()
class TorchvisionOnImage(BaseTransform):
    """Apply ``torchvision.transforms.v2`` transforms to ``img`` only; every label is kept
    (mmdet's RandomErasing would cut the masks and drop boxes, and the scores that travel with
    them). Arguments as :class:`TorchvisionImageTransforms`.

    FreeSOLO's recipe makes its strong view with the same transforms in the data preprocessor
    instead (``FreeSOLODataPreprocessor(strong_view=...)``), on the training device.
    """

    def __init__(self, transforms: List[dict], normalize: Optional[dict] = None) -> None:
        self.transforms = TorchvisionImageTransforms(transforms, normalize)

    def transform(self, results: dict) -> dict:
        image = torch.from_numpy(np.ascontiguousarray(results['img'].transpose(2, 0, 1)))
        results['img'] = np.ascontiguousarray(self.transforms(image).numpy().transpose(1, 2, 0))
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(transforms={self.transforms.transform_cfgs!r})'
