"""FreeSOLO's whole pipeline on an embedded default (``make demo``): generated scenes and
bundled photos, Free Mask, FreeSOLO rounds 1 and 2, each stage scored on the val scenes and
drawn, beside a supervised upper bound (and, in ``make demo-annotation-free``, DenseCL
pretraining first and comparison rows)."""
from __future__ import annotations

import argparse
import os.path as osp
from typing import List, Optional

from ..adaptations import configs_root
from ..demo.pipeline import DemoPipeline
from ..errors import RUN_AGAIN_TO_CONTINUE, exit_on_interrupt, exit_on_user_error

DEFAULT_CONFIG = osp.join(configs_root(), 'demo', 'freesolo_demo_mobilenetv2_cpu.py')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', default='outputs/demo', help='the output folder')
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='a FreeSOLO config with demo and self_training sections '
                        '(default: configs/demo/freesolo_demo_mobilenetv2_cpu.py)')
    return parser


# the stages keep their checkpoints and finished label chunks: a rerun continues
@exit_on_interrupt(RUN_AGAIN_TO_CONTINUE)
@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> dict:
    args = build_parser().parse_args(argv)
    return DemoPipeline(args.config, args.out).run()


if __name__ == '__main__':
    main()
