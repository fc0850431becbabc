"""Colour similarity of neighbouring pixels, for the pairwise loss: computed for the whole batch
in torch on the images' device (mmdet's BoxInst converts each image with scikit-image on the
CPU)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmdet.models.utils import unfold_wo_center
from torch import Tensor

# sRGB (D65) -> XYZ, and the D65 white point (2 degree observer), as in scikit-image.
_XYZ_FROM_RGB = torch.tensor([[0.412453, 0.357580, 0.180423],
                              [0.212671, 0.715160, 0.072169],
                              [0.019334, 0.119193, 0.950227]])
_WHITE_D65 = torch.tensor([0.95047, 1.0, 1.08883])


def rgb_to_lab(rgb: Tensor) -> Tensor:
    """(B, 3, H, W) sRGB in [0, 1] -> (B, 3, H, W) CIE LAB (L in [0, 100])."""
    linear = torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055)**2.4, rgb / 12.92)
    matrix = _XYZ_FROM_RGB.to(rgb) / _WHITE_D65.to(rgb)[:, None]
    xyz = torch.einsum('ij,bjhw->bihw', matrix, linear)
    f = torch.where(xyz > 0.008856, xyz.clamp(min=0.008856)**(1 / 3), 7.787 * xyz + 16 / 116)
    fx, fy, fz = f.unbind(dim=1)
    return torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], dim=1)


def color_similarity(images: Tensor, stride: int = 4, kernel_size: int = 3,
                     dilation: int = 2) -> Tensor:
    """``exp(-0.5 * ||LAB_i - LAB_j||)`` of each pixel i and its neighbours j at ``stride``.

    Args:
        images: (B, 3, H, W) RGB in [0, 255] (H, W multiples of ``stride``).

    Returns:
        (B, K, H / stride, W / stride), K = kernel_size**2 - 1 neighbours in a window of the
        given dilation, centre excluded (the order of mmdet's ``unfold_wo_center``).
    """
    pooled = F.avg_pool2d(images.float(), kernel_size=stride, stride=stride)
    lab = rgb_to_lab(pooled / 255.0)
    neighbours = unfold_wo_center(lab, kernel_size, dilation)          # (B, 3, K, h, w)
    distance = (lab[:, :, None] - neighbours).square().sum(dim=1).sqrt()  # faster than norm
    return torch.exp(-0.5 * distance)
