"""The arguments of the command lines that label a set of images into a label file (Free Mask,
a trained model): where the images are, where the file goes, and how the work is split."""
from __future__ import annotations

import argparse


def add_labelling_arguments(parser: argparse.ArgumentParser, out_help: str) -> None:
    """``--images`` or ``--ann-file`` with ``--img-root``, ``--out``, the shards and chunks,
    the image loading processes."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--images', help='folder of images (searched recursively)')
    source.add_argument('--ann-file', help='COCO json listing the images (ids are kept)')
    parser.add_argument('--img-root', help='folder the --ann-file file_names are relative to')
    parser.add_argument('--out', required=True, help=out_help)
    parser.add_argument('--shard-id', type=int, default=0)
    parser.add_argument('--num-shards', type=int, default=1,
                        help='split the images into this many shards (merge them with '
                        'tools/merge_free_mask.py)')
    parser.add_argument('--chunk-size', type=int, default=64,
                        help='images per atomically written chunk (the unit of resuming)')
    parser.add_argument('--workers', type=int, default=2, help='image loading processes')
    parser.add_argument('--no-progress', action='store_true')
