"""Training and testing a config with mmengine's Runner, the files it names checked first: what
``tools/train.py`` and ``tools/test.py`` (and their Slurm jobs) run."""
from __future__ import annotations

import os
import os.path as osp
import re
from types import SimpleNamespace
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner, find_latest_checkpoint

from ..adaptations import finish_distributed
from ..checkpoints import check_state_dict_fits, checkpoint_progress, read_state_dict
from ..errors import UserInputError
from ..fileio.configs import check_dataset_files, load_config


def build_runner(cfg: Config) -> Runner:
    """The config's Runner (its ``runner_type`` if it names one).

    The type is looked up in the config's ``default_scope`` (mmdet's registry holds this
    package's runners), whatever scope the process had set up before, or none.
    """
    runner_type = cfg.get('runner_type', 'Runner')
    if isinstance(runner_type, str):
        if '.' not in runner_type:
            runner_type = f'{cfg.get("default_scope", "mmdet")}.{runner_type}'
        runner_cls = RUNNERS.get(runner_type)
        if runner_cls is None:
            raise UserInputError(f'runner_type {cfg.runner_type!r} is not a registered runner')
    else:
        runner_cls = runner_type
    return runner_cls.from_cfg(cfg)


_SAVED = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint mmengine's auto-resume would take, or None (quietly, unlike mmengine).

    mmengine writes its pointer, ``last_checkpoint``, after the checkpoint it names, and not
    atomically: a run killed while writing it leaves it empty. Such a pointer, or one naming a
    missing file, is repaired to the work dir's newest ``iter_N.pth`` / ``epoch_N.pth`` (or
    removed if there is none), so that mmengine's own resume finds it too.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    named = find_latest_checkpoint(work_dir)
    if named and osp.isfile(named):
        return named
    saved = [(int(m.group(1)), name) for name in os.listdir(work_dir)
             if (m := _SAVED.match(name))]
    if not saved:
        os.remove(pointer)
        return None
    newest = osp.join(work_dir, max(saved)[1])
    with open(pointer + '.tmp', 'w') as f:
        f.write(newest)
    os.replace(pointer + '.tmp', pointer)
    return newest


def training_finished(cfg: Config, checkpoint: str) -> bool:
    """Whether ``checkpoint`` was saved at the end of the config's schedule."""
    epoch, iteration = checkpoint_progress(checkpoint)
    train_cfg = cfg.train_cfg
    if 'max_iters' in train_cfg:
        return iteration >= train_cfg.max_iters
    if 'max_epochs' in train_cfg:
        return epoch >= train_cfg.max_epochs
    raise UserInputError('train_cfg has neither max_iters nor max_epochs')


def set_resume(cfg: Config, resume: Optional[str]) -> None:
    """``--resume``: 'auto' resumes from the latest checkpoint of the work dir, a path from that
    checkpoint, None starts afresh."""
    if resume == 'auto':
        if cfg.get('work_dir'):
            latest_checkpoint(cfg.work_dir)  # a pointer broken by a kill is repaired first
        cfg.resume, cfg.load_from = True, None
    elif resume is not None:
        if not osp.isfile(resume):
            raise UserInputError(f'{resume}: no such checkpoint to resume from')
        cfg.resume, cfg.load_from = True, resume


def resolve_work_dir(cfg: Config, config_path: str, work_dir: Optional[str]) -> str:
    """The given work dir, else the config's, else ./work_dirs/<config name>."""
    if work_dir is not None:
        return work_dir
    if cfg.get('work_dir') is not None:
        return cfg.work_dir
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def train(config: str,
          work_dir: Optional[str] = None,
          amp: bool = False,
          auto_scale_lr: bool = False,
          resume: Optional[str] = None,
          cfg_options: Optional[dict] = None,
          launcher: str = 'none') -> None:
    """Train a config (mmdet's ``tools/train.py``).

    Args:
        resume: 'auto' resumes from the latest checkpoint of the work dir; a path from that one.
        launcher: 'none', or how the processes were started ('pytorch', 'slurm', 'mpi').
    """
    cfg = load_config(config, cfg_options)
    cfg.launcher = launcher
    cfg.work_dir = resolve_work_dir(cfg, config, work_dir)
    if amp:
        if not torch.cuda.is_available():
            raise UserInputError('--amp needs a CUDA device; this machine has none')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise UserInputError(f'{config}: --auto-scale-lr needs auto_scale_lr.'
                                 'base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    set_resume(cfg, resume)
    check_dataset_files(cfg, ('train', 'val'))
    build_runner(cfg).train()
    finish_distributed()


def test(config: str,
         checkpoint: str,
         work_dir: Optional[str] = None,
         out: Optional[str] = None,
         show: bool = False,
         show_dir: Optional[str] = None,
         wait_time: float = 2,
         cfg_options: Optional[dict] = None,
         launcher: str = 'none') -> dict:
    """Test (and evaluate) a checkpoint (mmdet's ``tools/test.py``); returns the metrics.

    The checkpoint must fit the config's model (mmengine would only warn and test random
    weights). ``out``: dump the predictions to this .pkl file.
    """
    from mmdet.engine.hooks.utils import trigger_visualization_hook
    from mmdet.evaluation import DumpDetResults

    cfg = load_config(config, cfg_options)
    cfg.launcher = launcher
    cfg.work_dir = resolve_work_dir(cfg, config, work_dir)
    if out is not None and not out.endswith(('.pkl', '.pickle')):
        raise UserInputError(f'--out {out}: the output file must be a .pkl file')
    state = read_state_dict(checkpoint)
    cfg.load_from = checkpoint
    if show or show_dir:
        cfg = trigger_visualization_hook(
            cfg, SimpleNamespace(show=show, show_dir=show_dir, wait_time=wait_time))
    check_dataset_files(cfg, ('test', ))
    runner = build_runner(cfg)
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    check_state_dict_fits(model, state, checkpoint, config)
    if out is not None:
        runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=out))
    metrics = runner.test()
    del runner, model
    finish_distributed()
    return metrics
