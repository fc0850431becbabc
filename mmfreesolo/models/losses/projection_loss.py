"""Projection loss: masks compared through their projections on the x and y axes.

FreeSOLO's weak supervision from coarse masks: a predicted mask m and a coarse mask m* are
projected by max (``L_max_proj``) or by mean (``L_avg_proj``) onto each axis, and each pair of
projections is compared with Dice.
"""
from __future__ import annotations

from typing import Optional

import torch
from mmdet.models.losses.dice_loss import dice_loss
from mmdet.registry import MODELS
from torch import Tensor, nn

from .group_mean import mean_over_groups


def project(masks: Tensor, mode: str) -> tuple:
    """(N, H, W) masks -> their x-axis projection (N, W) and y-axis projection (N, H)."""
    if mode == 'max':
        return masks.max(dim=1).values, masks.max(dim=2).values
    if mode == 'mean':
        return masks.mean(dim=1), masks.mean(dim=2)
    raise ValueError(f"projection mode must be 'max' or 'mean', got {mode!r}")


def projection_dice_loss(pred: Tensor, target: Tensor, mode: str = 'max',
                         eps: float = 1e-3) -> Tensor:
    """Dice of the x projections plus Dice of the y projections, per instance.

    ``dice(x, t) = 1 - 2 sum(x t) / (sum(x^2) + sum(t^2) + 2 eps)`` (mmdet's ``dice_loss``).

    Args:
        pred: (N, H, W) predicted soft masks in [0, 1].
        target: (N, H, W) coarse masks in {0, 1}.

    Returns:
        (N, ) losses, each in [0, 2].
    """
    pred_x, pred_y = project(pred, mode)
    target_x, target_y = project(target.to(pred.dtype), mode)
    return (dice_loss(pred_x, target_x, eps=eps, reduction='none')
            + dice_loss(pred_y, target_y, eps=eps, reduction='none'))


@MODELS.register_module()
class ProjectionDiceLoss(nn.Module):
    """:func:`projection_dice_loss` as a loss module.

    Args:
        mode: 'max' (L_max_proj) or 'mean' (L_avg_proj).
        use_sigmoid: predictions are logits (sigmoid applied here) rather than probabilities.
        loss_weight: the term's weight in the mask loss (FreeSOLO: 1 for max, 0.1 for mean).
    """

    def __init__(self, mode: str = 'max', use_sigmoid: bool = True, eps: float = 1e-3,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        project(torch.zeros(1, 1, 1), mode)  # validate the mode now, not at the first step
        self.mode = mode
        self.use_sigmoid = use_sigmoid
        self.eps = eps
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, avg_factor: Optional[float] = None,
                groups: Optional[Tensor] = None) -> Tensor:
        """(N, H, W) predictions -> the mean over instances (or their sum / ``avg_factor``),
        or with ``groups`` (N, ) the mean over groups of each group's mean (the release's
        per-level reduction)."""
        if len(pred) == 0:
            return pred.sum() * 0
        probs = pred.sigmoid() if self.use_sigmoid else pred
        losses = projection_dice_loss(probs, target, self.mode, self.eps)
        if groups is not None:
            total = mean_over_groups(losses, groups)
        else:
            total = losses.sum() / avg_factor if avg_factor is not None else losses.mean()
        return self.loss_weight * total
