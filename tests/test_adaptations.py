"""The adaptations of torch, mmengine and mmcv to each other: safe checkpoint loading kept on,
CPU distributed runs, mmcv's hue jitter, a config's text formatted once."""
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


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_negative_hue_shifts_rotate_the_hue_under_numpy_2(backend):
    """mmcv's adjust_hue overflows on np.uint8(-25) under numpy 2; the hue must turn back by 25
    of 256 steps, wrapping around red, as mmcv's uint8 addition did."""
    import cv2
    import mmcv

    from mmfreesolo.adaptations.mmcv_hue import _original_adjust_hue
    rng = np.random.default_rng(0)
    hsv = np.stack([rng.integers(0, 256, (16, 16)), np.full((16, 16), 255),
                    np.full((16, 16), 255)], -1).astype(np.uint8)
    hsv[0, :4, 0] = [0, 3, 10, 24]  # shifted below 0: wrap around to 231-255
    img = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL)
    out = mmcv.adjust_hue(img, -0.1, backend=backend)
    hue_in = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)[..., 0].astype(int)
    hue_out = cv2.cvtColor(out, cv2.COLOR_BGR2HSV_FULL)[..., 0].astype(int)
    turned = (hue_out - hue_in) % 256
    assert np.all(np.minimum(np.abs(turned - 231), 256 - np.abs(turned - 231)) <= 2)
    assert out.shape == img.shape and out.dtype == img.dtype
    # positive shifts are mmcv's own, and its range check stays
    assert np.array_equal(mmcv.adjust_hue(img, 0.1, backend=backend),
                          _original_adjust_hue(img, 0.1, backend))
    with pytest.raises(ValueError):
        mmcv.adjust_hue(img, -0.6, backend=backend)


def test_finish_distributed_frees_the_group_and_the_finished_ddp_wrapper(tmp_path):
    """A finished Runner sits in reference cycles; its DDP wrapper keeps gloo's backend alive
    until the interpreter tears down (where gloo can abort) unless collected while it is alive."""
    import weakref

    import torch.distributed as dist
    from mmengine.model import MMDistributedDataParallel

    from mmfreesolo.adaptations import finish_distributed

    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
                            world_size=1)
    runner = type('Runner', (), {})()
    runner.model = MMDistributedDataParallel(nn.Linear(2, 1))
    runner.self = runner  # a cycle: unreachable, but not freed by reference counting
    wrapper = weakref.ref(runner.model)
    del runner
    finish_distributed()
    assert not dist.is_initialized()
    assert wrapper() is None
    finish_distributed()  # without a group: nothing to do


def test_a_configs_text_is_formatted_once_and_anew_when_it_changes(monkeypatch):
    """mmengine reads ``pretty_text`` five times when a Runner starts and once per checkpoint:
    yapf runs once per distinct text, and the text is yapf's own."""
    import mmengine.config.config as mmengine_config
    from mmengine.config import Config

    from mmfreesolo.adaptations.config_text import RememberedFormatting
    assert isinstance(mmengine_config.FormatCode, RememberedFormatting), 'installed on import'
    yapf_format = mmengine_config.FormatCode.format_code
    formatted = []

    def counted(text, **kwargs):
        formatted.append(text)
        return yapf_format(text, **kwargs)

    monkeypatch.setattr(mmengine_config, 'FormatCode', RememberedFormatting(counted, size=2))
    cfg = Config(dict(model=dict(type='SOLOv2', backbone=dict(depth=18, frozen_stages=-1)),
                      work_dir='work_dirs/a'))
    text = cfg.pretty_text
    assert [cfg.pretty_text, Config(cfg.to_dict()).pretty_text] == [text, text]
    assert len(formatted) == 1
    style = dict(based_on_style='pep8', blank_line_before_nested_class_or_def=True,
                 split_before_expression_after_opening_paren=True)  # mmengine's
    assert text == yapf_format(formatted[0], style_config=style)[0]
    assert "model = dict(backbone=dict(depth=18, frozen_stages=-1), type='SOLOv2')" in text
    assert formatted[0] != text, 'yapf reflowed the text mmengine built'

    cfg.model.backbone.depth = 50  # a nested change: another text, formatted anew
    assert 'depth=50' in cfg.pretty_text and len(formatted) == 2
    Config(dict(work_dir='b')).pretty_text  # a third text pushes the first out (size 2)
    cfg.model.backbone.depth = 18
    assert cfg.pretty_text == text and len(formatted) == 4


def test_remembered_formatting_keys_on_every_argument():
    """Another style or keyword is another call; lists in a style do not break the key."""
    from mmfreesolo.adaptations.config_text import RememberedFormatting
    calls = []

    def fake_format(text, style_config=None, **kwargs):
        calls.append((text, style_config, kwargs))
        return text.upper(), True

    remembered = RememberedFormatting(fake_format)
    style = dict(based_on_style='pep8', no_split=['a', 'b'])
    assert remembered('x = 1', style_config=style) == ('X = 1', True)
    assert remembered('x = 1', style_config=dict(style)) == ('X = 1', True)
    remembered('x = 1', style_config=dict(style, no_split=['a']))
    remembered('x = 1', style_config=style, verify=True)
    assert len(calls) == 3
