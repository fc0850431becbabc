"""Train a model from a config: mmdet's ``tools/train.py`` command line, with early checks."""
from __future__ import annotations

import argparse
from typing import List, Optional

from ..engine.training import train
from ..errors import RESUME_TO_CONTINUE, exit_on_interrupt, exit_on_user_error
from .runner_arguments import add_runner_arguments, runner_options


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


def train_options(args: argparse.Namespace) -> dict:
    """The arguments of :func:`~mmfreesolo.engine.training.train`."""
    return dict(config=args.config, work_dir=args.work_dir, amp=args.amp,
                auto_scale_lr=args.auto_scale_lr, resume=args.resume, **runner_options(args))


@exit_on_interrupt(RESUME_TO_CONTINUE)
@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> None:
    train(**train_options(build_parser().parse_args(argv)))


if __name__ == '__main__':
    main()
