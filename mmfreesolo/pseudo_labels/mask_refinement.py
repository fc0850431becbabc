"""Pseudo-label masks snapped to the image's colour edges before they are written.

Free Mask's masks are its stride-32 similarity maps upsampled, and a trained round's are
stride-4 blobs: both stop short of, or spill over, the object's boundary, so a label that found
its object often overlaps it with IoU < 0.5 and its box, which the projection losses train on,
is off. Each mask is diffused over the image's colour-affinity graph: every pixel repeatedly
takes the affinity-weighted mean of its neighbours' values, the weights high between pixels of
alike colour. A mask thus spreads over the region its colour continues and recedes from the
pixels across an edge. The affinity follows the pixel-adaptive refinement of Araslanov & Roth
(CVPR 2020, "Single-Stage Semantic Segmentation from Image Labels"), here on binary labels.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Dict, Iterator, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from ..errors import UserInputError
from ..models.data_preprocessors.color_similarity import rgb_to_lab

# LAB scaled so that each channel spans about 1 (L in [0, 100], a and b about [-128, 127])
_LAB_SCALE = (100.0, 255.0, 255.0)


@dataclass(frozen=True)
class AffinityMaskRefinement:
    """Diffuse each mask ``iterations`` times over colour affinities to the 8 neighbours at
    each of ``dilations``, then threshold at ``threshold``.

    The affinity of pixel i to its neighbour j, per LAB channel, is
    ``softmax_j(-|x_i - x_j| / (temperature * std_i))``, ``std_i`` the spread of the channel
    over i's neighbours (so that the weights adapt to the local contrast), averaged over the
    channels; outside the image the border pixels repeat.

    The defaults were chosen on round 1's labels of the generated scenes (docs/benchmarks.md,
    the MobileNetV2 recipe's refinement settings). On dark backgrounds (fluorescence) the
    diffusion erases most masks: the tiles' recipe leaves it off.

    Args:
        dilations: neighbour distances in pixels; the largest sets how far a mask can move in one
            step.
        iterations: diffusion steps.
        temperature: lower is sharper.
        threshold: a pixel stays in the mask if its diffused value is at least this.
    """
    dilations: Tuple[int, ...] = (1, 2, 4, 8)
    iterations: int = 10
    temperature: float = 0.3
    threshold: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, 'dilations', tuple(int(d) for d in self.dilations))
        if not self.dilations or min(self.dilations) < 1:
            raise UserInputError(f'mask refinement: dilations must be positive pixel distances, '
                                 f'got {self.dilations}')
        if self.iterations < 1 or self.temperature <= 0 or not 0 < self.threshold < 1:
            raise UserInputError('mask refinement: iterations must be positive, temperature > 0 '
                                 f'and threshold in (0, 1), got {self.settings()}')

    @classmethod
    def from_settings(cls, settings: dict) -> 'AffinityMaskRefinement':
        """From a config's ``mask_refinement`` dict; an unknown key is a clear error."""
        unknown = sorted(set(settings) - {f.name for f in fields(cls)})
        if unknown:
            raise UserInputError(f'mask refinement: unknown settings {unknown}; it takes '
                                 f'{[f.name for f in fields(cls)]}')
        return cls(**settings)

    def settings(self) -> dict:
        """The arguments, as a label file records them."""
        return dict(asdict(self), dilations=list(self.dilations))

    def offsets(self) -> List[Tuple[int, int]]:
        """The K = 8 x len(dilations) neighbour offsets (dy, dx)."""
        return [(dy * d, dx * d) for d in self.dilations for dy in (-1, 0, 1)
                for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]

    def _shifted(self, x: Tensor) -> Iterator[Tensor]:
        """(C, H, W) -> each offset's (C, H, W) view: every pixel's neighbour at that offset,
        the border pixels repeated outside the image."""
        pad = max(self.dilations)
        height, width = x.shape[-2:]
        padded = F.pad(x[None], (pad, ) * 4, mode='replicate')[0]
        for dy, dx in self.offsets():
            yield padded[:, pad + dy:pad + dy + height, pad + dx:pad + dx + width]

    def affinities(self, image: Tensor) -> Tensor:
        """(3, H, W) RGB in [0, 1] -> (K, H, W) weights of each pixel's neighbours, summing to 1
        over K."""
        lab = rgb_to_lab(image[None])[0] / image.new_tensor(_LAB_SCALE)[:, None, None]
        weights = image.new_zeros((len(self.offsets()), ) + image.shape[1:])
        for channel in lab:  # one channel at a time: (K, H, W) is the largest tensor built
            neighbours = torch.cat(list(self._shifted(channel[None])))
            spread = neighbours.std(dim=0) + 1e-3
            weights += F.softmax(-(neighbours - channel).abs() / (self.temperature * spread),
                                 dim=0)
        return weights / len(lab)

    def diffuse(self, values: Tensor, image: np.ndarray) -> Tensor:
        """(N, H, W) float masks of one (H, W, 3) uint8 BGR image -> (N, H, W) after the
        ``iterations`` diffusion steps, on the masks' device."""
        if values.shape[-2:] != image.shape[:2]:
            raise ValueError(f'masks of {tuple(values.shape[-2:])} px for an image of '
                             f'{image.shape[:2]}')
        rgb = torch.from_numpy(np.ascontiguousarray(image[..., ::-1])).to(values.device)
        weights = self.affinities(rgb.permute(2, 0, 1).float() / 255)
        for _ in range(self.iterations):
            # summed one offset at a time: no (K, N, H, W) tensor
            values = sum(w * shifted for w, shifted in zip(weights, self._shifted(values)))
        return values

    def refine_masks(self, masks: Tensor, image: np.ndarray) -> Tensor:
        """(N, H, W) bool masks of one (H, W, 3) uint8 BGR image -> (N, H, W) bool."""
        if len(masks) == 0:
            return masks
        return self.diffuse(masks.float(), image) >= self.threshold

    def __call__(self, instances: InstanceData, image: np.ndarray
                 ) -> Tuple[InstanceData, Dict[str, int]]:
        """One image's selected labels with their masks refined; a mask that refines to nothing
        is dropped and counted (``empty_after_refinement``)."""
        if len(instances) == 0:
            return instances, {}
        instances.masks = self.refine_masks(instances.masks, image)
        kept = instances.masks.flatten(1).any(dim=1)
        return instances[kept], dict(empty_after_refinement=int((~kept).sum()))
