"""Test a checkpoint with a config: mmdet's ``tools/test.py`` command line, with early checks."""
from __future__ import annotations

import argparse
from typing import List, Optional

from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.evaluation import DumpDetResults
from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..checkpoints import check_state_dict_fits, read_state_dict
from ..compat import finish_distributed
from ..errors import UserInputError, exit_on_user_error
from .config_checks import (add_runner_arguments, check_dataset_files, load_runner_config,
                            resolve_work_dir)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save evaluation metrics')
    parser.add_argument('--out', help='dump predictions to a pickle file (.pkl)')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='directory (under the work dir\'s timestamped run '
                        'folder) where painted images are saved')
    parser.add_argument('--wait-time', type=float, default=2, help='seconds each image shows')
    add_runner_arguments(parser)
    return parser


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> dict:
    args = build_parser().parse_args(argv)
    cfg = load_runner_config(args)
    cfg.launcher = args.launcher
    cfg.work_dir = resolve_work_dir(cfg, args.config, args.work_dir)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise UserInputError(f'--out {args.out}: the output file must be a .pkl file')
    state = read_state_dict(args.checkpoint)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    check_dataset_files(cfg, ('test', ))

    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    check_state_dict_fits(model, state, args.checkpoint, args.config)
    if args.out is not None:
        runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))
    metrics = runner.test()
    finish_distributed()
    return metrics


if __name__ == '__main__':
    main()
