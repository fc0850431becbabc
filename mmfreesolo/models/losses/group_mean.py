"""Reducing per-instance losses level by level, as the release does: each FPN level's positives
are averaged, then the levels."""
from __future__ import annotations

from typing import Optional

from torch import Tensor


def mean_over_groups(values: Tensor, groups: Tensor, weights: Optional[Tensor] = None) -> Tensor:
    """The mean, over the groups present, of each group's ``sum(values) / sum(weights)``.

    Args:
        values: (N, ) per-instance loss sums.
        groups: (N, ) integer group of each instance (its FPN level).
        weights: (N, ) what each instance's value is a sum over (e.g. its counted edges),
            default 1 (a plain mean within the group); a group's total weight is taken as at
            least 1.

    Returns:
        A scalar; 0 (still attached to ``values``) when there are no instances.
    """
    if len(values) == 0:
        return values.sum()
    _, inverse = groups.unique(return_inverse=True)
    num_groups = int(inverse.max()) + 1
    sums = values.new_zeros(num_groups).index_add(0, inverse, values)
    if weights is None:
        weights = values.new_ones(len(values))
    totals = weights.new_zeros(num_groups).index_add(0, inverse, weights.to(values.dtype))
    return (sums / totals.clamp(min=1)).mean()
