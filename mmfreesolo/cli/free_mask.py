"""Generate Free Mask pseudo-labels for a folder of images or the images of a COCO json."""
from __future__ import annotations

import argparse
from typing import List, Optional

from mmengine.config import DictAction

from ..engine.free_mask_labelling import label_with_free_mask
from ..errors import RUN_AGAIN_TO_CONTINUE, exit_on_interrupt, exit_on_user_error
from ..pseudo_labels.labelling import AMP_DTYPES
from .labelling_arguments import add_labelling_arguments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Free Mask: class-agnostic pseudo-labels from unlabeled images. Killed and '
        'run again with the same arguments, it continues where it stopped.')
    parser.add_argument('config', help='a Free Mask config (configs/free_mask/)')
    add_labelling_arguments(parser, out_help='the label file (COCO json) to write')
    parser.add_argument('--checkpoint', help='backbone weights, instead of the config\'s '
                        'model.backbone_checkpoint')
    parser.add_argument('--batch-size', type=int,
                        help='images per forward (default: 4 on CUDA; 1 on the CPU, where '
                        'larger batches measured slower per image)')
    parser.add_argument('--device', help='default: the config\'s `device`, else cuda if '
                        'available, else cpu')
    parser.add_argument('--amp', choices=sorted(AMP_DTYPES), help='autocast dtype (CUDA)')
    parser.add_argument('--check-only', action='store_true',
                        help='check the config, checkpoint and images, label nothing')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser


def free_mask_options(args: argparse.Namespace) -> dict:
    """The arguments of :func:`~mmfreesolo.engine.free_mask_labelling.label_with_free_mask`."""
    options = vars(args).copy()
    options['progress'] = not options.pop('no_progress')
    return options


@exit_on_interrupt(RUN_AGAIN_TO_CONTINUE)
@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> str:
    return label_with_free_mask(**free_mask_options(build_parser().parse_args(argv)))


if __name__ == '__main__':
    main()
