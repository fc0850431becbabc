"""Torch's global random state saved in every checkpoint and restored on resume, so that a
resumed run draws what the uninterrupted run would have drawn. mmengine restores the weights,
the optimizer and the data order, not this state; DenseCL shuffles each key batch with
``torch.randperm``, which across ranks decides whose batch statistics each key sees (in one
process the shuffle is undone and changes nothing)."""
from __future__ import annotations

from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

KEY = 'torch_rng_state'


# mmengine's root registry: found from the mmpretrain scope of pretraining configs and the mmdet
# scope of the others
@HOOKS.register_module()
class TorchRandomStateHook(Hook):
    """Saves ``torch.get_rng_state()`` with each checkpoint; after a resume it is set again right
    before the first iteration, i.e. after mmengine has replayed the data loader up to the
    resumed iteration (creating a loader iterator draws from this state)."""
    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[torch.Tensor] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[KEY] = torch.get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get(KEY)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self._pending is not None:
            torch.set_rng_state(self._pending)
            self._pending = None
