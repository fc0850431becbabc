import pytest
import torch
from mmdet.registry import MODELS

import mmfreesolo  # noqa: F401
from mmfreesolo.models.losses import ProjectionDiceLoss, projection_dice_loss


def _reference(pred, target, mode, eps):
    """Projections and Dice with plain loops over one instance."""
    h, w = len(pred), len(pred[0])
    reduce = max if mode == 'max' else (lambda v: sum(v) / len(v))
    px = [reduce([pred[y][x] for y in range(h)]) for x in range(w)]
    tx = [reduce([target[y][x] for y in range(h)]) for x in range(w)]
    py = [reduce(pred[y]) for y in range(h)]
    ty = [reduce(target[y]) for y in range(h)]

    def dice(a, b):
        inter = sum(i * j for i, j in zip(a, b))
        return 1 - 2 * inter / (sum(i * i for i in a) + sum(j * j for j in b) + 2 * eps)

    return dice(px, tx) + dice(py, ty)


def test_hand_computed_case():
    pred = torch.tensor([[[0.5, 0.5], [0.0, 0.0]]])
    target = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
    # max: x (0.5, 0.5) vs (1, 0): 1 - 1 / 1.5; y (0.5, 0) vs (1, 0): 1 - 1 / 1.25
    assert projection_dice_loss(pred, target, 'max', eps=0).item() == pytest.approx(
        1 / 3 + 0.2)
    # mean: x (0.25, 0.25) vs (0.5, 0): 1 - 0.25 / 0.375; y (0.5, 0) vs (0.5, 0): 0
    assert projection_dice_loss(pred, target, 'mean', eps=0).item() == pytest.approx(1 / 3)


@pytest.mark.parametrize('mode', ['max', 'mean'])
def test_matches_loop_reference(mode):
    gen = torch.Generator().manual_seed(0)
    pred = torch.rand(5, 7, 9, generator=gen)
    target = (torch.rand(5, 7, 9, generator=gen) > 0.6).float()
    got = projection_dice_loss(pred, target, mode, eps=1e-3)
    for i in range(5):
        expected = _reference(pred[i].tolist(), target[i].tolist(), mode, 1e-3)
        assert got[i].item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize('mode', ['max', 'mean'])
def test_zero_when_prediction_equals_target(mode):
    target = torch.zeros(2, 8, 8)
    target[0, 2:5, 1:7] = 1
    target[1, 6:, :3] = 1
    assert projection_dice_loss(target, target, mode, eps=0).abs().max() < 1e-6


def test_max_projection_cannot_tell_a_contour_from_the_object_but_mean_can():
    """Why FreeSOLO adds L_avg_proj: with L_max_proj alone the model collapses to contours."""
    filled = torch.zeros(1, 10, 10)
    filled[0, 2:8, 2:8] = 1
    contour = filled.clone()
    contour[0, 3:7, 3:7] = 0
    assert projection_dice_loss(contour, filled, 'max', eps=0).item() == pytest.approx(0)
    assert projection_dice_loss(contour, filled, 'mean', eps=0).item() > 0.1


def test_module_from_logits_has_finite_gradients():
    loss_cfg = dict(type='ProjectionDiceLoss', mode='mean', loss_weight=0.1)
    loss = MODELS.build(loss_cfg)
    assert isinstance(loss, ProjectionDiceLoss)
    logits = torch.randn(3, 16, 16, requires_grad=True)
    target = (torch.rand(3, 16, 16) > 0.5).float()
    value = loss(logits, target)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(logits.grad).all()
    assert logits.grad.abs().sum() > 0
    expected = 0.1 * projection_dice_loss(logits.detach().sigmoid(), target, 'mean').mean()
    assert value.item() == pytest.approx(expected.item(), rel=1e-6)
    assert loss(logits[:0], target[:0]).item() == 0
    with pytest.raises(ValueError, match="'max' or 'mean'"):
        ProjectionDiceLoss(mode='sum')


def test_mean_over_groups_hand_computed():
    from mmfreesolo.models.losses.group_mean import mean_over_groups
    values = torch.tensor([1.0, 2.0, 3.0, 6.0])
    groups = torch.tensor([0, 0, 3, 3])
    assert mean_over_groups(values, groups).item() == pytest.approx((1.5 + 4.5) / 2)
    # with weights: group 0 is 3 / 4, group 3 is 9 / 3
    weights = torch.tensor([2.0, 2.0, 3.0, 0.0])
    assert mean_over_groups(values, groups, weights).item() == pytest.approx((0.75 + 3) / 2)
    # a group whose weights sum below 1 divides by 1
    assert mean_over_groups(values[:1], groups[:1], torch.zeros(1)).item() == 1.0
    assert mean_over_groups(values[:0], groups[:0]).item() == 0.0


def test_groups_weigh_levels_equally():
    """Three positives on level 0 and one on level 3: 'level' reduction is the mean of the two
    levels' means, not of the four."""
    gen = torch.Generator().manual_seed(1)
    pred = torch.randn(4, 6, 6, generator=gen)
    target = (torch.rand(4, 6, 6, generator=gen) > 0.5).float()
    loss = ProjectionDiceLoss(mode='max')
    each = projection_dice_loss(pred.sigmoid(), target, 'max', 1e-3)
    got = loss(pred, target, groups=torch.tensor([0, 0, 0, 3])).item()
    assert got == pytest.approx(((each[:3].mean() + each[3]) / 2).item(), rel=1e-6)
    assert loss(pred, target, avg_factor=4).item() == pytest.approx(each.mean().item())
