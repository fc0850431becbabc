"""The adaptations of torch, mmengine and mmcv to each other: safe checkpoint loading kept on,
CPU distributed runs."""
import os
import pickle

import numpy as np
import pytest
import torch
from torch import nn

import mmfreesolo  # noqa: F401  applies the adaptations
from mmfreesolo.checkpoints import check_state_dict_fits, read_state_dict
from mmfreesolo.errors import UserInputError


class _RunsCode:
    """A pickle payload that runs a shell command when unpickled."""

    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return os.system, (f'touch {self.sentinel}', )


class _ReachesModule:
    """A payload that uses getattr to reach beyond the allowed HistoryBuffer methods."""

    def __reduce__(self):
        return getattr, (np.ndarray, 'tofile')


def _toy_runner(work_dir, max_iters, resume=False):
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Toy(BaseModel):

        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            if mode == 'loss':
                return dict(loss=self.linear(inputs).pow(2).mean())
            return self.linear(inputs)

    data = [dict(inputs=torch.full((2, ), float(i))) for i in range(8)]
    return Runner(
        model=Toy(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=data, batch_size=2,
                              sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        param_scheduler=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, end=3)],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False)),
        randomness=dict(seed=1), resume=resume)


def test_torch_load_keeps_weights_only_on():
    assert torch.__version__ >= '2.6'
    assert not os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD')
    assert 'builtins.getattr' not in {
        getattr(g, '__module__', '') + '.' + getattr(g, '__name__', '')
        for g in torch.serialization.get_safe_globals() if callable(g)}


@pytest.mark.parametrize('payload', ['runs_code', 'reaches_module'])
def test_malicious_checkpoint_is_refused_without_running(tmp_path, payload):
    from mmengine.runner import load_checkpoint
    sentinel = tmp_path / 'pwned'
    bad = tmp_path / 'bad.pth'
    evil = _RunsCode(sentinel) if payload == 'runs_code' else _ReachesModule()
    torch.save({'state_dict': {'linear.weight': torch.zeros(1, 2)}, 'meta': evil}, bad)
    model = nn.Linear(2, 1)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(model, str(bad))
    with pytest.raises(UserInputError, match='refused to load'):
        read_state_dict(str(bad))
    assert not sentinel.exists()


def test_mmengine_checkpoint_loads_and_training_resumes(tmp_path):
    from mmengine.runner import load_checkpoint
    first = _toy_runner(tmp_path, max_iters=4)
    first.train()
    checkpoint = tmp_path / 'iter_4.pth'
    raw = torch.load(checkpoint, weights_only=True)
    assert raw['optimizer']['state'], 'momentum buffers are saved'
    assert 'train/lr' in raw['message_hub']['log_scalars']
    assert raw['message_hub']['log_scalars']['train/lr'].min() > 0
    load_checkpoint(nn.Linear(2, 1), str(checkpoint), revise_keys=[(r'^linear\.', '')])

    # a new run in the same work dir resumes from the last checkpoint and goes on to iter 6
    from mmengine.logging import MessageHub
    second = _toy_runner(tmp_path, max_iters=6, resume=True)
    second.train()
    assert second.iter == 6
    assert (tmp_path / 'iter_6.pth').exists()
    hub = MessageHub.get_current_instance()
    assert len(hub.get_scalar('train/lr').data[0]) == 6, 'the lr history of iters 1-4 was resumed'


def test_state_dict_must_fit_the_model(tmp_path):
    path = tmp_path / 'ck.pth'
    torch.save({'state_dict': {'module.weight': torch.zeros(3, 2), 'module.bias': torch.zeros(3)}},
               path)
    state = read_state_dict(str(path))
    assert set(state) == {'weight', 'bias'}
    check_state_dict_fits(nn.Linear(2, 3), state, 'ck.pth', 'linear')
    with pytest.raises(UserInputError, match=r'another shape \(e.g. weight: \(3, 2\) in the '
                       r'checkpoint, \(4, 2\) in the model\)'):
        check_state_dict_fits(nn.Linear(2, 4), state, 'ck.pth', 'linear')
    with pytest.raises(UserInputError, match='1 of its 3 weights are missing'):
        check_state_dict_fits(nn.Sequential(nn.Linear(2, 3), nn.PReLU()), {
            '0.weight': state['weight'], '0.bias': state['bias']}, 'ck.pth', 'seq')
    junk = tmp_path / 'junk.pth'
    junk.write_bytes(b'not a checkpoint')
    with pytest.raises(UserInputError, match='not a PyTorch checkpoint'):
        read_state_dict(str(junk))
