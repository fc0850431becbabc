"""The semantic-embedding loss ``1 - cos(q, q*)`` of FreeSOLO's category branch."""
from __future__ import annotations

from typing import Optional

import torch.nn.functional as F
from mmdet.models.losses.utils import weight_reduce_loss
from mmdet.registry import MODELS
from torch import Tensor, nn


def embedding_cosine_loss(pred: Tensor, target: Tensor, eps: float = 1e-8) -> Tensor:
    """``1 - cos(pred_i, target_i)`` per row.

    Args:
        pred: (N, D) predicted embeddings.
        target: (N, D) embeddings of the coarse masks (Free Mask's query vectors).

    Returns:
        (N, ) losses in [0, 2].
    """
    return 1 - F.cosine_similarity(pred, target.to(pred.dtype), dim=1, eps=eps)


@MODELS.register_module()
class EmbeddingCosineLoss(nn.Module):
    """Mean of :func:`embedding_cosine_loss` over the positives, times ``loss_weight``."""

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor,
                avg_factor: Optional[float] = None) -> Tensor:
        loss = weight_reduce_loss(embedding_cosine_loss(pred, target),
                                  reduction='mean', avg_factor=avg_factor)
        return self.loss_weight * loss
