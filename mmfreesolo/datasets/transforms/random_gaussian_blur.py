"""Gaussian blur with a random sigma, one of FreeSOLO's strong augmentations."""
from __future__ import annotations

import random
from typing import Tuple

import cv2
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Blur ``img`` with probability ``prob`` by a Gaussian of sigma uniform in ``sigma``
    (pixels); the kernel spans about 3 sigma each side. Labels are untouched."""

    def __init__(self, prob: float = 0.5, sigma: Tuple[float, float] = (0.1, 2.0)) -> None:
        assert 0 <= prob <= 1 and 0 < sigma[0] <= sigma[1]
        self.prob = prob
        self.sigma = sigma

    def transform(self, results: dict) -> dict:
        if random.random() < self.prob:
            sigma = random.uniform(*self.sigma)
            results['img'] = cv2.GaussianBlur(results['img'], (0, 0), sigmaX=sigma)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob}, sigma={self.sigma})'
