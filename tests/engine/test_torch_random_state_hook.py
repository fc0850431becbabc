"""TorchRandomStateHook: a run resumed from a checkpoint draws from torch's global generator what
the uninterrupted run drew (DenseCL's key-batch shuffle decides, across ranks, which rank's batch
statistics each key sees); without the hook it does not."""
import pytest
import torch
from torch import nn

import mmfreesolo  # noqa: F401  registers the hook, allows mmengine's checkpoint types


def _runner(work_dir, max_iters, hooks, resume=False):
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Noisy(BaseModel):
        """Its loss pulls the weight towards a fresh random target every step."""

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(3))

        def forward(self, inputs, data_samples=None, mode='tensor'):
            target = torch.randperm(3).float()
            return dict(loss=(self.w - target).pow(2).sum() + 0 * inputs.sum())

    return Runner(
        model=Noisy(), work_dir=str(work_dir), experiment_name=f'{work_dir.name}{max_iters}',
        train_dataloader=dict(dataset=[dict(inputs=torch.zeros(1))] * 4, batch_size=1,
                              sampler=dict(type='InfiniteSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False)),
        custom_hooks=hooks, randomness=dict(seed=3), resume=resume)


@pytest.mark.parametrize('with_hook', [True, False])
def test_resumed_run_draws_what_the_uninterrupted_run_drew(tmp_path, with_hook):
    hooks = [dict(type='TorchRandomStateHook')] if with_hook else []
    whole = _runner(tmp_path / 'whole', 6, hooks)
    whole.train()
    _runner(tmp_path / 'cut', 2, hooks).train()
    resumed = _runner(tmp_path / 'cut', 6, hooks, resume=True)
    resumed.train()
    same = torch.equal(whole.model.w, resumed.model.w)
    assert same == with_hook, (whole.model.w, resumed.model.w)
