"""MaskCollapseHook: a run whose masks stay empty or cover everything is stopped with the reason."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from conftest import REPO, assert_one_line_error, run, scenes_env
from mmfreesolo.engine import MaskCollapseError, MaskCollapseHook

HEALTHY = dict(mask_cover_in_box=torch.tensor(0.4), mask_cover_out_box=torch.tensor(0.05))
EMPTY = dict(mask_cover_in_box=torch.tensor(0.005), mask_cover_out_box=torch.tensor(0.0))
EVERYTHING = dict(mask_cover_in_box=torch.tensor(1.0), mask_cover_out_box=torch.tensor(0.995))


def _feed(hook, outputs):
    """Run the hook after each iteration; the iteration (1-based) it raised at, else None."""
    runner = SimpleNamespace(iter=0, work_dir='/w')
    for i, out in enumerate(outputs):
        runner.iter = i
        try:
            hook.after_train_iter(runner, i, outputs=dict(out, loss=torch.tensor(1.0)))
        except MaskCollapseError as e:
            return i + 1, str(e)
    return None, ''


def test_raises_after_patience_collapsed_iterations_in_a_row():
    at, message = _feed(MaskCollapseHook(patience=3), [HEALTHY, EMPTY, EMPTY, EMPTY, HEALTHY])
    assert at == 4
    assert 'collapsed (empty) for 3 iterations, since iteration 2' in message
    assert 'cover 0.5% of their' in message and 'warmup_iters' in message
    at, message = _feed(MaskCollapseHook(patience=2), [EVERYTHING] * 2)
    assert at == 2 and '(foreground everywhere)' in message and '99.5% of the rest' in message


def test_a_healthy_iteration_restarts_the_count():
    outputs = [EMPTY, EMPTY, HEALTHY, EMPTY, EVERYTHING, HEALTHY, EMPTY, EMPTY]
    assert _feed(MaskCollapseHook(patience=3), outputs)[0] is None
    assert _feed(MaskCollapseHook(patience=3), outputs + [EMPTY])[0] == 9


def test_iterations_without_positives_count_neither_way():
    """No positives (no cover in the outputs): the count neither grows nor restarts."""
    at, message = _feed(MaskCollapseHook(patience=3), [EMPTY, {}, EMPTY, {}, {}, EMPTY])
    assert at == 6 and 'since iteration 1' in message
    assert _feed(MaskCollapseHook(patience=1), [{}] * 5)[0] is None


def test_margin_is_the_distance_to_empty_and_to_everything():
    almost = dict(mask_cover_in_box=torch.tensor(0.04), mask_cover_out_box=torch.tensor(0.0))
    assert _feed(MaskCollapseHook(patience=1), [almost])[0] is None
    assert _feed(MaskCollapseHook(margin=0.05, patience=1), [almost])[0] == 1
    with pytest.raises(ValueError, match='margin'):
        MaskCollapseHook(margin=0.5)
    with pytest.raises(ValueError, match='patience'):
        MaskCollapseHook(patience=0)


def test_the_count_is_kept_in_the_checkpoint_and_continued_only_on_resume():
    hook = MaskCollapseHook(patience=5)
    _feed(hook, [HEALTHY, EMPTY, EMPTY])
    checkpoint = dict(meta=dict(iter=3))
    hook.before_save_checkpoint(None, checkpoint)
    assert checkpoint['meta'] == dict(iter=3, mask_collapse=dict(since=1, iters=2))

    resumed = MaskCollapseHook(patience=5)
    resumed.after_load_checkpoint(SimpleNamespace(_resume=True), checkpoint)
    at, message = _feed(resumed, [EMPTY] * 3)
    assert at == 3 and 'since iteration 2' in message
    started = MaskCollapseHook(patience=5)  # weights loaded to start a new run: a new count
    started.after_load_checkpoint(SimpleNamespace(_resume=False), checkpoint)
    assert _feed(started, [EMPTY] * 4)[0] is None
    MaskCollapseHook().after_load_checkpoint(SimpleNamespace(_resume=True), dict(meta={}))


@pytest.mark.parametrize('config', [
    'freesolo_mobilenetv2_scenes_cpu.py', 'demo/freesolo_demo_annotation_free_cpu.py',
    'demo/freesolo_demo_mobilenetv2_cpu.py', 'freesolo_r18_gn_scenes_cpu.py',
    'freesolo_mobilenetv2_image_folder_cpu.py', 'freesolo_r18_densecl_scenes_cpu.py',
    'freesolo_r50_coco.py', 'freesolo_r101_coco.py', 'freesolo_r50_image_folder.py'])
def test_every_freesolo_config_watches_for_collapse(config):
    hooks = Config.fromfile(str(REPO / 'configs' / config)).custom_hooks
    assert [h for h in hooks if h['type'] == 'MaskCollapseHook'] == [
        dict(type='MaskCollapseHook', margin=0.01, patience=100)]


COLLAPSED_CONFIG = """
_base_ = '{repo}/configs/freesolo_mobilenetv2_scenes_cpu.py'
train_dataloader = dict(dataset=dict(ann_file='annotations/instances_train.json'))
model = dict(backbone=dict(checkpoint=None))
load_from = '{checkpoint}'
optim_wrapper = dict(optimizer=dict(lr=0.0))  # the weights stay as loaded
train_cfg = dict(max_iters=20, val_interval=20)
custom_hooks = [dict(type='MaskCollapseHook', patience=3)]
"""


def _collapsed_config(tmp_path):
    """A config starting from dynamic kernels of -1 on the non-negative mask features: every
    logit <= 0, every mask empty, from the first iteration on."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(str(REPO / 'configs' / 'freesolo_mobilenetv2_scenes_cpu.py'))
    cfg.model.backbone.checkpoint = None
    model = MODELS.build(cfg.model)
    torch.nn.init.zeros_(model.mask_head.conv_kernel.weight)
    torch.nn.init.constant_(model.mask_head.conv_kernel.bias, -1.0)
    checkpoint = tmp_path / 'collapsed.pth'
    torch.save(dict(meta={}, state_dict=model.state_dict()), checkpoint)
    config = tmp_path / 'collapsed.py'
    config.write_text(COLLAPSED_CONFIG.format(repo=REPO, checkpoint=checkpoint))
    return config


def test_train_stops_a_collapsed_run_with_one_error_line(scenes, tmp_path):
    """tools/train.py ends the collapsed run after 3 iterations, with one line."""
    config = _collapsed_config(tmp_path)
    result = run(['tools/train.py', str(config), '--work-dir', str(tmp_path / 'work'),
                  '--cfg-options', 'default_hooks.logger.interval=1'], env=scenes_env(scenes))
    assert_one_line_error(result, 'collapsed (empty) for 3 iterations, since iteration 1',
                          'cover 0.0% of their', str(tmp_path / 'work'))
    assert 'Iter(train) [ 3/20]' in result.stdout + result.stderr
    assert 'Iter(train) [ 4/20]' not in result.stdout + result.stderr


def test_a_resumed_run_continues_the_count(scenes, tmp_path):
    """Interrupted after 3 collapsed iterations (patience 5) and resumed, the run stops at
    iteration 5, as the uninterrupted run would have, not at 8."""
    config = _collapsed_config(tmp_path)
    work = str(tmp_path / 'work')
    options = ['custom_hooks.0.patience=5', 'default_hooks.logger.interval=1',
               'default_hooks.checkpoint.interval=3']
    first = run(['tools/train.py', str(config), '--work-dir', work, '--cfg-options',
                 'train_cfg.max_iters=3', *options], env=scenes_env(scenes))
    assert first.returncode == 0, first.stderr[-3000:]
    result = run(['tools/train.py', str(config), '--work-dir', work, '--resume', '--cfg-options',
                  *options], env=scenes_env(scenes))
    assert_one_line_error(result, 'collapsed (empty) for 5 iterations, since iteration 1')
    assert 'Iter(train) [ 5/20]' in result.stdout + result.stderr
    assert 'Iter(train) [ 6/20]' not in result.stdout + result.stderr
