"""The demo's console pieces: StageLogRunner keeps mmengine's details out of the terminal and in
the log file; TrainingProgressHook counts the iterations left; self_training.labelling sets the
hook that labels between rounds."""
import logging
from collections import OrderedDict
from types import SimpleNamespace

from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from conftest import REPO
from mmfreesolo.engine import StageLogRunner, TrainingProgressHook
from mmfreesolo.engine.self_training import SelfTraining
from mmfreesolo.engine.training import build_runner
from mmfreesolo.fileio.configs import load_config


def test_stage_log_runner_is_found_in_a_process_without_a_scope(tmp_path, monkeypatch):
    """A resumed demo builds round 1's runner first, before anything set mmdet's scope up."""
    monkeypatch.setattr(DefaultScope, '_instance_dict', OrderedDict())
    assert DefaultScope.get_current_instance() is None
    cfg = load_config(str(REPO / 'configs/freesolo_mobilenetv2_scenes_cpu.py'))
    cfg.update(runner_type='StageLogRunner', work_dir=str(tmp_path), load_from=None)
    cfg.model.backbone.init_cfg = None
    assert type(build_runner(cfg)) is StageLogRunner


def test_stage_log_runner_console_passes_warnings_only(tmp_path):
    runner = StageLogRunner.__new__(StageLogRunner)  # build_logger needs only these
    runner._log_dir, runner._timestamp = str(tmp_path), 'stamp'
    runner._experiment_name = 'stage_log_runner_test'
    logger = runner.build_logger(log_level='INFO')
    assert logger is MMLogger.get_instance('stage_log_runner_test')
    (console, ) = [h for h in logger.handlers if type(h) is logging.StreamHandler]
    (log_file, ) = [h for h in logger.handlers if isinstance(h, logging.FileHandler)]
    assert console.level == logging.WARNING and log_file.level == logging.INFO
    logger.info('Config:\nthe whole config')
    log_file.flush()
    assert 'the whole config' in (tmp_path / 'stamp.log').read_text()


def test_progress_bar_counts_the_iterations_left(capsys):
    hook = TrainingProgressHook()
    runner = SimpleNamespace(max_iters=5, iter=2)  # resumed at iteration 2
    hook.before_train(runner)
    for i in range(3):
        hook.after_train_iter(runner, i)
    hook.after_train(runner)
    out = capsys.readouterr().out
    assert '3/3' in out and 'ETA' in out
    hook.before_train(SimpleNamespace(max_iters=5, iter=5))  # nothing left: no bar
    hook.after_train_iter(runner, 0)
    assert capsys.readouterr().out == ''


def test_labelling_hook_from_the_section_or_custom_hooks(tmp_path):
    cfg = Config(dict(self_training=dict(free_mask=dict(config='fm.py'),
                                         labelling=dict(score_thr=0.2))))
    training = SelfTraining(cfg, 2, str(tmp_path))
    assert training.labelling_hook() == dict(type='SelfTrainingHook', score_thr=0.2)
    cfg.custom_hooks = [dict(type='TrainingProgressHook'),
                        dict(type='SelfTrainingHook', score_thr=0.1, max_per_img=5)]
    assert SelfTraining(cfg, 2, str(tmp_path)).labelling_hook() == dict(
        type='SelfTrainingHook', score_thr=0.1, max_per_img=5)
