"""Draw a label file (Free Mask pseudo-labels, or any COCO json) beside its ground truth."""
from __future__ import annotations

import argparse
from typing import List, Optional

from ..errors import exit_on_user_error
from ..visualization.label_pictures import draw_label_file


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('labels', help='COCO-format json to draw (e.g. Free Mask output)')
    parser.add_argument('--img-root', required=True, help='folder of the images')
    parser.add_argument('--out', required=True, help='folder for the PNG files')
    parser.add_argument('--gt', help='ground-truth json: drawn on the left, by file_name')
    parser.add_argument('--num', type=int, default=8, help='how many images')
    parser.add_argument('--score-thr', type=float, default=0.0)
    return parser


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> List[str]:
    args = build_parser().parse_args(argv)
    written = draw_label_file(args.labels, args.img_root, args.out, args.gt, args.num,
                              args.score_thr)
    print(f'wrote {len(written)} pictures to {args.out}')
    return written


if __name__ == '__main__':
    main()
