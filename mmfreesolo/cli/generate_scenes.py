"""Write a generated-scenes dataset (train and val splits with instance masks)."""
from __future__ import annotations

import argparse
import os.path as osp
from typing import Dict, List, Optional

from ..errors import UserInputError, exit_on_user_error
from ..scenes import generate_scenes
from ..visualization.label_pictures import draw_label_file


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Generate COCO-format benchmark scenes')
    parser.add_argument('out', help='output folder')
    parser.add_argument('--num-train', type=int, default=64)
    parser.add_argument('--num-val', type=int, default=16)
    parser.add_argument('--size', type=int, nargs=2, default=[128, 128], metavar=('H', 'W'))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--preview', type=int, default=0,
                        help='also draw this many scenes per split with their masks, into '
                        'OUT/preview/<split>/')
    return parser


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> Dict[str, str]:
    args = build_parser().parse_args(argv)
    if args.num_train < 0 or args.num_val < 0:
        raise UserInputError('--num-train and --num-val must not be negative')
    try:
        files = generate_scenes(args.out, args.num_train, args.num_val, args.size, args.seed)
    except ValueError as e:
        raise UserInputError(str(e)) from None
    for split, path in files.items():
        print(f'{split}: {path}')
        if args.preview:
            draw_label_file(path, osp.join(args.out, split), osp.join(args.out, 'preview', split),
                            num_images=args.preview)
    return files


if __name__ == '__main__':
    main()
