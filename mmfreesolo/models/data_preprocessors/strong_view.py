"""FreeSOLO's strong view of each image, made on the training device from its weak view."""
from __future__ import annotations

import copy
from typing import List

from mmdet.structures import DetDataSample
from torch import Tensor

from ...datasets.transforms.torchvision_on_image import TorchvisionImageTransforms


class StrongView:
    """Each weak view's image through ``stages`` of torchvision v2 transforms; the strong view
    carries a deep copy of the weak view's labels (the release's strong augmentations change
    pixels, never geometry).

    Made in the data preprocessor, on the training device, rather than in the dataloader's
    pipeline: in the workers, the colour jitter alone cost more than mmdet's whole SOLOv2
    pipeline, and every sample carried a second image between processes
    (``benchmarks/coco_scale.py --pipeline``).

    Args:
        stages: each ``dict(transforms=[...], normalize=None)``, the arguments of
            :class:`TorchvisionImageTransforms` (e.g. colour jitter, grayscale and blur on the
            [0, 1] image, then random-fill erasing on the standardised one).
        source, target: the branch names of the weak and the strong views.
    """

    def __init__(self, stages: List[dict], source: str = 'weak', target: str = 'strong') -> None:
        self.stages = [TorchvisionImageTransforms(**stage) for stage in stages]
        self.source = source
        self.target = target

    def __call__(self, data: dict) -> dict:
        """``{'inputs': [(3, H, W) uint8], 'data_samples': [...]}`` -> ``{'inputs': {source:
        [...], target: [...]}, 'data_samples': {source: [...], target: [...]}}``; the weak views
        are the inputs, untouched."""
        inputs: List[Tensor] = list(data['inputs'])
        samples: List[DetDataSample] = list(data['data_samples'])
        strong = []
        # one image at a time: sizes differ before padding, and every image draws its own
        # jitter factors, blur and erased boxes
        for image in inputs:
            for stage in self.stages:
                image = stage(image)
            strong.append(image)
        return dict(inputs={self.source: inputs, self.target: strong},
                    data_samples={self.source: samples,
                                  self.target: copy.deepcopy(samples)})
