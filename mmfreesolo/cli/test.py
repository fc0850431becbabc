"""Test a checkpoint with a config: mmdet's ``tools/test.py`` command line, with early checks."""
from __future__ import annotations

import argparse
from typing import List, Optional

from ..engine.training import test
from ..errors import exit_on_user_error
from .runner_arguments import add_runner_arguments, runner_options


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
    return test(args.config, args.checkpoint, work_dir=args.work_dir, out=args.out,
                show=args.show, show_dir=args.show_dir, wait_time=args.wait_time,
                **runner_options(args))


if __name__ == '__main__':
    main()
