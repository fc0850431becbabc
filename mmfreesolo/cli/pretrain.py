"""Pretrain a backbone by self-supervision (DenseCL) on unlabeled images; the result,
``WORK_DIR/backbone.pth``, is what Free Mask and FreeSOLO configs load."""
from __future__ import annotations

import argparse
from typing import List, Optional

from ..engine.pretraining import pretrain
from ..errors import RESUME_TO_CONTINUE, exit_on_interrupt, exit_on_user_error
from .runner_arguments import add_runner_arguments, runner_options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Self-supervised pretraining (DenseCL, mmpretrain) on unlabeled images. '
        'Writes WORK_DIR/backbone.pth for Free Mask (model.backbone_checkpoint) and FreeSOLO '
        '(BackboneCheckpoint) configs.')
    parser.add_argument('config', help='a pretraining config (configs/pretrain/)')
    images = parser.add_mutually_exclusive_group()
    images.add_argument('--images', help='a folder of images, searched recursively')
    images.add_argument('--ann-file', help='a COCO json whose images are used (not its labels)')
    parser.add_argument('--img-root', help='with --ann-file: the folder of its file_names')
    parser.add_argument('--work-dir', help='where checkpoints and backbone.pth are written '
                        '(default: the config\'s, else ./work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or from the latest in the work dir '
                        'when no path is given')
    add_runner_arguments(parser)
    return parser


def pretrain_options(args: argparse.Namespace) -> dict:
    """The arguments of :func:`~mmfreesolo.engine.pretraining.pretrain`."""
    return dict(config=args.config, images=args.images, ann_file=args.ann_file,
                img_root=args.img_root, work_dir=args.work_dir, resume=args.resume,
                **runner_options(args))


@exit_on_interrupt(RESUME_TO_CONTINUE)
@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> str:
    return pretrain(**pretrain_options(build_parser().parse_args(argv)))


if __name__ == '__main__':
    main()
