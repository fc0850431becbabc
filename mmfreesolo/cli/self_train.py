"""FreeSOLO self-training from the command line: (pretraining,) Free Mask, then N rounds,
resumable."""
from __future__ import annotations

import argparse
from typing import List, Optional

from ..engine.self_training import INITS, self_train
from ..errors import RUN_AGAIN_TO_CONTINUE, exit_on_interrupt, exit_on_user_error
from .runner_arguments import add_runner_arguments, runner_options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='FreeSOLO self-training: a self-supervised backbone (when the config has '
        'a self_training.pretrain section), Free Mask labels (made if missing), then N rounds '
        'of training, each labelling the training images for the next. Interrupted and run '
        'again with the same arguments, it continues where it stopped.')
    parser.add_argument('config', help='a training config with a self_training section')
    parser.add_argument('--rounds', type=int, default=2,
                        help='rounds of training (default 2: Free Mask labels, then one round '
                        'of self-training, as the paper)')
    parser.add_argument('--work-dir', required=True, help='where every stage writes')
    parser.add_argument('--init', choices=INITS,
                        help='how each round starts: as configured (the backbone '
                        'initialisation, as the release) or from the previous round\'s final '
                        'weights (default: the config\'s self_training.init)')
    add_runner_arguments(parser)
    return parser


def self_train_options(args: argparse.Namespace) -> dict:
    """The arguments of :func:`~mmfreesolo.engine.self_training.self_train`."""
    return dict(config=args.config, rounds=args.rounds, work_dir=args.work_dir, init=args.init,
                **runner_options(args))


@exit_on_interrupt(RUN_AGAIN_TO_CONTINUE)
@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> dict:
    return self_train(**self_train_options(build_parser().parse_args(argv)))


if __name__ == '__main__':
    main()
