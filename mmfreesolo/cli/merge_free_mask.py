"""Merge the shard outputs of a sharded Free Mask run into one label file."""
from __future__ import annotations

import argparse
from typing import List, Optional

from ..errors import exit_on_user_error
from ..pseudo_labels.shards import merge_shards


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('out', help='the merged label file; also the --out the shards were '
                        'run with, used to find them when none are listed')
    parser.add_argument('shards', nargs='*', help='shard files (default: OUT stem '
                        '.shard-*-of-*.json)')
    parser.add_argument('--remove-shards', action='store_true',
                        help='delete the shard files once OUT is written')
    return parser


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> dict:
    args = build_parser().parse_args(argv)
    written = merge_shards(args.out, args.shards, remove=args.remove_shards)
    print(f'wrote {args.out}: {written["num_images"]} images, {written["num_masks"]} masks, '
          f'{written["num_skipped"]} skipped')
    return written


if __name__ == '__main__':
    main()
