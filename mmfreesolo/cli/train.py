"""Train a model from a config: mmdet's ``tools/train.py`` command line, with early checks."""
from __future__ import annotations

import argparse
import os.path as osp
from typing import List, Optional

import torch
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..compat import finish_distributed
from ..errors import UserInputError, exit_on_user_error
from .config_checks import (add_runner_arguments, check_dataset_files, load_runner_config,
                            resolve_work_dir)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Train a detector (mmdet command line)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (GPU)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the total batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or from the latest in the work dir '
                        'when no path is given')
    add_runner_arguments(parser)
    return parser


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> None:
    args = build_parser().parse_args(argv)
    cfg = load_runner_config(args)
    cfg.launcher = args.launcher
    cfg.work_dir = resolve_work_dir(cfg, args.config, args.work_dir)
    if args.amp:
        if not torch.cuda.is_available():
            raise UserInputError('--amp needs a CUDA device; this machine has none')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise UserInputError(f'{args.config}: --auto-scale-lr needs auto_scale_lr.'
                                 'base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise UserInputError(f'{args.resume}: no such checkpoint to resume from')
        cfg.resume, cfg.load_from = True, args.resume
    check_dataset_files(cfg, ('train', 'val'))

    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.train()
    finish_distributed()


if __name__ == '__main__':
    main()
