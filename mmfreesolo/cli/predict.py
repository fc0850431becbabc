"""Label a folder of images, or the images of a COCO json, with a trained model: one
class-agnostic COCO json (RLE masks, boxes, scores) that tools/evaluate.py scores and any
training config reads as labels. Killed and run again with the same arguments, it continues."""
from __future__ import annotations

import argparse
from typing import List, Optional

import torch
from mmengine.config import DictAction

from ..engine.model_labelling import label_with_model
from ..errors import exit_on_user_error
from .labelling_arguments import add_labelling_arguments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='the model\'s training (or test) config')
    parser.add_argument('checkpoint', help='its trained weights')
    add_labelling_arguments(parser, out_help='the predictions file (COCO json) to write')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='keep predictions scored at least this (default 0.3)')
    parser.add_argument('--max-per-img', type=int, default=100,
                        help='keep at most this many predictions per image, best first')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--show-dir', help='also draw the first --num-pictures images here')
    parser.add_argument('--num-pictures', type=int, default=8)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> str:
    options = vars(build_parser().parse_args(argv))
    options['progress'] = not options.pop('no_progress')
    return label_with_model(**options)


if __name__ == '__main__':
    main()
