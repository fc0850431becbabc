import math

import pytest
import torch

import mmfreesolo  # noqa: F401
from mmfreesolo.models.losses import PairwiseAffinityLoss

# the dilated 3x3 window without its centre, in unfold order
OFFSETS = [(dy, dx) for dy in (-2, 0, 2) for dx in (-2, 0, 2) if (dy, dx) != (0, 0)]


def _reference(logits, similarity, box, thr):
    """Loop over every pixel of every instance and each of its 8 neighbours."""
    total, count = 0.0, 0
    n, h, w = logits.shape
    for i in range(n):
        for y in range(h):
            for x in range(w):
                if not box[i, y, x]:
                    continue
                for k, (dy, dx) in enumerate(OFFSETS):
                    ny, nx = y + dy, x + dx
                    if not (0 <= ny < h and 0 <= nx < w) or similarity[i, k, y, x] < thr:
                        continue
                    p = 1 / (1 + math.exp(-logits[i, y, x]))
                    q = 1 / (1 + math.exp(-logits[i, ny, nx]))
                    total += -math.log(p * q + (1 - p) * (1 - q))
                    count += 1
    return total / max(count, 1)


def _case(seed=0):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 9, 11, generator=gen) * 3
    similarity = torch.rand(2, 8, 9, 11, generator=gen)
    box = torch.zeros(2, 9, 11)
    box[0, 1:7, 2:9] = 1
    box[1, 4:, :5] = 1
    return logits, similarity, box


def test_matches_loop_reference():
    logits, similarity, box = _case()
    loss = PairwiseAffinityLoss(warmup_iters=0)
    expected = _reference(logits.double(), similarity, box, 0.3)
    assert loss(logits, similarity, box).item() == pytest.approx(expected, rel=1e-5)


def test_hand_computed_two_pixel_edge():
    """A 1x3 map: only pixels 0 and 2 are neighbours (dilation 2)."""
    logits = torch.tensor([[[0.0, 5.0, math.log(3)]]])  # p = 0.5, -, 0.75
    similarity = torch.ones(1, 8, 1, 3)
    box = torch.tensor([[[1.0, 0.0, 0.0]]])              # only pixel 0's edges count
    loss = PairwiseAffinityLoss(warmup_iters=0)
    # one edge (0 -> 2): -log(0.5 * 0.75 + 0.5 * 0.25) = -log(0.5)
    assert loss(logits, similarity, box).item() == pytest.approx(math.log(2))


def test_edges_outside_the_box_or_below_the_colour_threshold_do_not_count():
    logits, similarity, box = _case(1)
    loss = PairwiseAffinityLoss(warmup_iters=0)
    base = loss(logits, similarity, box)
    # outside the box and farther than the window from it: no effect
    far = torch.ones_like(box, dtype=torch.bool)
    for i in range(2):
        ys, xs = torch.nonzero(box[i], as_tuple=True)
        far[i, max(0, ys.min() - 2):ys.max() + 3, max(0, xs.min() - 2):xs.max() + 3] = False
    moved = logits.clone()
    moved[far] += 10
    assert loss(moved, similarity, box).item() == pytest.approx(base.item(), rel=1e-6)
    assert loss(logits, torch.full_like(similarity, 0.29), box).item() == 0
    assert loss(logits, similarity, torch.zeros_like(box)).item() == 0


def test_warmup_ramps_linearly_with_the_iteration():
    logits, similarity, box = _case(2)
    full = PairwiseAffinityLoss(warmup_iters=0)(logits, similarity, box).item()
    loss = PairwiseAffinityLoss(warmup_iters=4)
    values = [loss(logits, similarity, box, iteration=i).item() for i in range(6)]
    assert values == pytest.approx([full * f for f in (0, 0.25, 0.5, 0.75, 1, 1)])
    assert loss(logits, similarity, box).item() == pytest.approx(full), 'no iteration: no ramp'
    assert not loss.state_dict(), 'no hidden state: the ramp comes from the iteration'


def test_confident_logits_stay_finite_with_finite_gradients():
    logits = torch.tensor([[[60.0, -60.0, 60.0], [-60.0, 60.0, -60.0], [60.0, 60.0, 60.0]]],
                          requires_grad=True)
    loss = PairwiseAffinityLoss(warmup_iters=0)
    value = loss(logits, torch.ones(1, 8, 3, 3), torch.ones(1, 3, 3))
    value.backward()
    # 16 edges inside the map; (0, 1)-(2, 1) and back disagree, each costing
    # -log(2 e^-60) = 60 - log 2
    assert torch.isfinite(value) and value.item() == pytest.approx(2 * (60 - math.log(2)) / 16)
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


def test_groups_average_each_groups_edges_then_the_groups():
    """Per group (FPN level): the reference over that group's instances; then their mean."""
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(3, 9, 11, generator=gen) * 3
    similarity = torch.rand(3, 8, 9, 11, generator=gen)
    box = torch.zeros(3, 9, 11)
    box[0, 1:7, 2:9] = 1
    box[1, 4:, :5] = 1
    box[2, 2:5, 3:10] = 1
    groups = torch.tensor([2, 0, 2])
    loss = PairwiseAffinityLoss(warmup_iters=0)
    got = loss(logits, similarity, box, groups=groups).item()
    level_2 = _reference(logits[[0, 2]].double(), similarity[[0, 2]], box[[0, 2]], 0.3)
    level_0 = _reference(logits[[1]].double(), similarity[[1]], box[[1]], 0.3)
    assert got == pytest.approx((level_2 + level_0) / 2, rel=1e-5)
    # one group is the plain edge average
    assert loss(logits, similarity, box, groups=torch.zeros(3, dtype=torch.long)).item() == \
        pytest.approx(loss(logits, similarity, box).item(), rel=1e-6)
