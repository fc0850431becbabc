"""Self-training from the command line: Free Mask, then N rounds, resumable with the same
command."""
from __future__ import annotations

import argparse
from typing import List, Optional

from mmengine.dist import init_dist

from ..compat import finish_distributed
from ..engine.self_training import INITS, SelfTraining
from ..errors import exit_on_user_error
from .config_checks import add_runner_arguments, load_runner_config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='FreeSOLO self-training: Free Mask labels (made if missing), then N rounds '
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


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> dict:
    args = build_parser().parse_args(argv)
    cfg = load_runner_config(args)
    if args.launcher != 'none':
        # the Runners of the rounds find the process group already there and reuse it
        init_dist(args.launcher, **cfg.get('env_cfg', {}).get('dist_cfg', {}))
    summary = SelfTraining(cfg, args.rounds, args.work_dir, args.launcher, args.init).run()
    finish_distributed()
    return summary


if __name__ == '__main__':
    main()
