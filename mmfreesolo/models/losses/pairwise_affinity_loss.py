"""Pairwise affinity loss (as in BoxInst): neighbouring pixels of similar colour should get the
same label, ``-log(p_i p_j + (1 - p_i)(1 - p_j))`` per edge, computed in log space from logits."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmdet.models.utils import unfold_wo_center
from mmdet.registry import MODELS
from torch import Tensor, nn


def pairwise_log_disagreement(logits: Tensor, kernel_size: int = 3,
                              dilation: int = 2) -> Tensor:
    """``-log P(pixel and neighbour get the same label)`` for each pixel's neighbours.

    Args:
        logits: (N, H, W) mask logits.

    Returns:
        (N, K, H, W) with K = kernel_size**2 - 1 neighbours (dilated window, centre excluded);
        0 for neighbours outside the map.
    """
    log_fg = F.logsigmoid(logits)[:, None]
    log_bg = F.logsigmoid(-logits)[:, None]
    log_fg_nb = unfold_wo_center(log_fg, kernel_size, dilation)[:, 0]   # (N, K, H, W)
    log_bg_nb = unfold_wo_center(log_bg, kernel_size, dilation)[:, 0]
    log_same = torch.logaddexp(log_fg + log_fg_nb, log_bg + log_bg_nb)
    return -log_same


@MODELS.register_module()
class PairwiseAffinityLoss(nn.Module):
    """The pairwise term, counted on edges whose colour similarity passes a threshold and that
    lie inside the coarse mask's box, averaged over those edges, and ramped in linearly over
    ``warmup_iters`` training calls.

    The ramp counts the module's own training calls in a buffer, so it needs no Runner and it
    resumes with a checkpoint.
    """

    def __init__(self, kernel_size: int = 3, dilation: int = 2, color_thr: float = 0.3,
                 warmup_iters: int = 1000, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.color_thr = color_thr
        self.warmup_iters = warmup_iters
        self.loss_weight = loss_weight
        self.register_buffer('iters', torch.zeros((), dtype=torch.long))

    @property
    def warmup_factor(self) -> float:
        if self.warmup_iters <= 0:
            return 1.0
        return min(float(self.iters) / self.warmup_iters, 1.0)

    def forward(self, logits: Tensor, color_similarity: Tensor, box_masks: Tensor) -> Tensor:
        """
        Args:
            logits: (N, H, W) mask logits of N instances.
            color_similarity: (N, K, H, W) colour similarity of each pixel with its neighbours
                (of the instance's image).
            box_masks: (N, H, W) 1 inside the instance's coarse-mask box, else 0.
        """
        if self.training:
            self.iters += 1
        if len(logits) == 0:
            return logits.sum() * 0
        edges = (color_similarity >= self.color_thr).to(logits.dtype) * box_masks[:, None]
        inside = unfold_wo_center(torch.ones_like(logits[:1, None]), self.kernel_size,
                                  self.dilation)[:, 0]                   # neighbour in the map
        edges = edges * inside
        loss = (pairwise_log_disagreement(logits, self.kernel_size, self.dilation)
                * edges).sum() / edges.sum().clamp(min=1.0)
        return self.loss_weight * self.warmup_factor * loss
