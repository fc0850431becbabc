"""Pairwise affinity loss (as in BoxInst): neighbouring pixels of similar colour should get the
same label, ``-log(p_i p_j + (1 - p_i)(1 - p_j))`` per edge, computed in log space from logits."""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from torch import Tensor, nn

from .group_mean import mean_over_groups


def neighbour_offsets(kernel_size: int = 3, dilation: int = 2) -> List[Tuple[int, int]]:
    """(dy, dx) of the neighbours in a dilated window, centre excluded, in the order of mmdet's
    ``unfold_wo_center`` (and so of :func:`color_similarity`'s channels): offset k and
    offset K-1-k are mirror images."""
    r = kernel_size // 2
    return [(dy * dilation, dx * dilation) for dy in range(-r, r + 1) for dx in range(-r, r + 1)
            if (dy, dx) != (0, 0)]


def _overlap(offset: int, size: int) -> Tuple[slice, slice]:
    """Slices of the pixels whose neighbour at ``offset`` is inside, and of those neighbours."""
    return (slice(max(0, -offset), size - max(0, offset)),
            slice(max(0, offset), size + min(0, offset)))


@MODELS.register_module()
class PairwiseAffinityLoss(nn.Module):
    """The pairwise term, counted on edges whose colour similarity passes a threshold and that
    lie inside the coarse mask's box, averaged over those edges, and ramped in linearly over
    the first ``warmup_iters`` training iterations (the caller passes the iteration, as mmdet's
    BoxInst reads it from the MessageHub: the ramp then resumes with the Runner).
    """

    def __init__(self, kernel_size: int = 3, dilation: int = 2, color_thr: float = 0.3,
                 warmup_iters: int = 1000, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.color_thr = color_thr
        self.warmup_iters = warmup_iters
        self.loss_weight = loss_weight

    def warmup_factor(self, iteration: Optional[int]) -> float:
        """0 at iteration 0, rising linearly to 1 at ``warmup_iters``; 1 when not given."""
        if iteration is None or self.warmup_iters <= 0:
            return 1.0
        return min(iteration / self.warmup_iters, 1.0)

    def forward(self, logits: Tensor, color_similarity: Tensor, box_masks: Tensor,
                image_index: Optional[Tensor] = None,
                groups: Optional[Tensor] = None,
                iteration: Optional[int] = None) -> Tensor:
        """
        Args:
            logits: (N, H, W) mask logits of N instances.
            color_similarity: (B, K, H, W) colour similarity of each pixel with its neighbours,
                per image.
            box_masks: (N, H, W) 1 inside the instance's coarse-mask box, else 0.
            image_index: (N, ) the image of each instance; by default instance i is in image i.
            groups: (N, ) the group of each instance (its FPN level): the loss is then averaged
                over the counted edges of each group, then over the groups (the release);
                by default over all counted edges at once.
            iteration: the training iteration, for the warm-up (None: no warm-up).
        """
        if len(logits) == 0:
            return logits.sum() * 0
        counted = color_similarity >= self.color_thr                    # per image, not copied
        if image_index is None:
            image_index = torch.arange(len(logits), device=logits.device)
        h, w = logits.shape[-2:]
        # log(p_i p_j + (1 - p_i)(1 - p_j)) = log p_i + log p_j + softplus(-(x_i + x_j)) for
        # logits x, since log(1 - p) = log p - x. Summed over the edges, the log p terms are
        # sum_i log p_i * (weight of the edges at i). Edges count only inside the boxes, a
        # small part of the maps, so both sums run over the counted pixels and edges alone,
        # gathered by flat index: shifted full-size slices cost most in their backward.
        # The edges are found one direction at a time, on the pixels whose neighbour is inside
        # the map. The window holds each pair twice (offset k and its mirror K-1-k): count it
        # once, with the weights of both directed edges.
        incident = torch.zeros_like(logits)                          # edge weight at each pixel
        offsets = neighbour_offsets(self.kernel_size, self.dilation)
        with torch.no_grad():
            ends, others, weights = [], [], []
            for k, (dy, dx) in enumerate(offsets[:len(offsets) // 2]):
                mirror = len(offsets) - 1 - k
                (ys, nys), (xs, nxs) = _overlap(dy, h), _overlap(dx, w)
                weight = (counted[image_index, k, ys, xs] * box_masks[:, ys, xs]
                          + counted[image_index, mirror, nys, nxs] * box_masks[:, nys, nxs])
                incident[:, ys, xs] += weight
                incident[:, nys, nxs] += weight
                n, y, x = (weight > 0).nonzero(as_tuple=True)
                ends.append((n * h + y + ys.start) * w + x + xs.start)
                others.append((n * h + y + nys.start) * w + x + nxs.start)
                weights.append(weight[n, y, x])
            ends, others, weights = torch.cat(ends), torch.cat(others), torch.cat(weights)
            num_edges = weights.sum()
            pixels = incident.flatten().nonzero().squeeze(1)
        flat = logits.flatten()
        pair = F.softplus(-(flat[ends] + flat[others])) * weights
        unary = F.logsigmoid(flat[pixels]) * incident.flatten()[pixels]
        if groups is None:
            loss = -(unary.sum() + pair.sum()) / num_edges.clamp(min=1.0)
        else:  # per instance: its loss summed over its edges, and its edge count
            n = len(logits)
            edge_instance, pixel_instance = ends // (h * w), pixels // (h * w)
            sums = -(logits.new_zeros(n).index_add(0, edge_instance, pair)
                     + logits.new_zeros(n).index_add(0, pixel_instance, unary))
            edges = weights.new_zeros(n).index_add(0, edge_instance, weights)
            loss = mean_over_groups(sums, groups, edges)
        return self.loss_weight * self.warmup_factor(iteration) * loss
