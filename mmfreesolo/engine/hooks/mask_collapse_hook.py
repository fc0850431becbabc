"""Stops a training run whose predicted masks have collapsed, as mmengine's
``CheckInvalidLossHook`` stops one whose loss is NaN.

The weak mask losses have degenerate minima: a model whose masks are foreground everywhere, or
nowhere, satisfies the pairwise term exactly (its loss goes to 0), and the saturated sigmoid
leaves the projection terms almost no gradient to climb out. On the CPU scenes (seed 7, one
thread) the masks covered whole images from iteration 35 on and never came back; the round's
model scored 0 mask AP and labels nothing useful for the next round. This hook ends such a run
early, with the reason, instead of after hours of training.
"""
from __future__ import annotations

from typing import Optional

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ...errors import UserInputError


class MaskCollapseError(UserInputError):
    """The run's predicted masks stayed collapsed for the hook's whole patience: the config's
    recipe does not train on this data (the command lines print it as one line)."""


@HOOKS.register_module()
class MaskCollapseHook(Hook):
    """Raises :class:`MaskCollapseError` once the positives' predicted masks have been collapsed
    for ``patience`` training iterations in a row: covering less than ``margin`` of their
    coarse-mask boxes (empty), or more than ``1 - margin`` of the map outside them (everything).

    It reads ``mask_cover_in_box`` and ``mask_cover_out_box``, which ``FreeSOLOHead`` adds to
    the training outputs, averaged over the ranks (so all ranks stop together); iterations
    without positives do not count either way. The count is kept in the checkpoints, so a run
    resumed mid-collapse stops where the uninterrupted run would have.

    Args:
        margin: how close to empty or to everything the masks must be to count as collapsed.
        patience: consecutive collapsed iterations before the run is stopped.
    """
    priority = 'LOW'
    keys = ('mask_cover_in_box', 'mask_cover_out_box')

    def __init__(self, margin: float = 0.01, patience: int = 100) -> None:
        if not 0 < margin < 0.5:
            raise ValueError(f'margin must be in (0, 0.5), got {margin}')
        if patience < 1:
            raise ValueError(f'patience must be at least 1, got {patience}')
        self.margin = margin
        self.patience = patience
        self._collapsed_since: Optional[int] = None
        self._collapsed_iters = 0

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # a run resumed mid-collapse keeps counting instead of granting a fresh patience
        checkpoint.setdefault('meta', {})['mask_collapse'] = dict(
            since=self._collapsed_since, iters=self._collapsed_iters)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # only a resumed run continues the count: weights loaded to start a run (load_from, a
        # round initialised from the previous one) begin a new one
        state = checkpoint.get('meta', {}).get('mask_collapse')
        if state is not None and getattr(runner, '_resume', False):
            self._collapsed_since, self._collapsed_iters = state['since'], state['iters']

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        outputs = outputs or {}
        seen = all(key in outputs for key in self.keys)
        # [inside, outside, ranks that had positives], summed: every rank reduces, none waits
        total = torch.tensor([float(outputs[key]) if seen else 0.0 for key in self.keys]
                             + [1.0 if seen else 0.0])
        all_reduce(total)
        if total[2] == 0:
            return
        inside, outside = (total[:2] / total[2]).tolist()
        if self.margin <= inside and outside <= 1 - self.margin:
            self._collapsed_since, self._collapsed_iters = None, 0
            return
        if self._collapsed_since is None:
            self._collapsed_since = runner.iter
        self._collapsed_iters += 1
        if self._collapsed_iters < self.patience:
            return
        state = 'empty' if inside < self.margin else 'foreground everywhere'
        raise MaskCollapseError(
            f'the predicted masks collapsed ({state}) for {self.patience} iterations, since '
            f'iteration {self._collapsed_since + 1}: they cover {inside:.1%} of their '
            f'pseudo-labels\' boxes and {outside:.1%} of the rest, and the weak mask losses do '
            f'not recover from this. Start again in a new work dir (the checkpoints of '
            f'{runner.work_dir} from iteration {self._collapsed_since + 1} on are collapsed, and '
            'resuming would load them) with a longer warm-up of the pairwise term '
            '(model.mask_head.loss_pairwise.warmup_iters), a lower learning rate, or another '
            'seed (randomness.seed).')
