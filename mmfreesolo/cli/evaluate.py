"""Evaluate COCO results or a pseudo-label json against ground truth, class-agnostically."""
from __future__ import annotations

import argparse
from typing import Dict, List, Optional

from ..errors import exit_on_user_error
from ..evaluation.class_agnostic_eval import (IOU_TYPES, evaluate_class_agnostic, load_coco_gt,
                                              load_detections, stat_names)
from ..evaluation.reporting import format_table
from ..fileio.json_files import write_json_atomic


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Class-agnostic COCO evaluation (pycocotools, useCats=0) of a results '
        'list or of a COCO-format json such as Free Mask pseudo-labels')
    parser.add_argument('gt', help='ground-truth COCO instances json')
    parser.add_argument('results', help='COCO results list, or a COCO json matched by file_name')
    parser.add_argument('--iou-type', nargs='+', choices=IOU_TYPES, default=list(IOU_TYPES))
    parser.add_argument('--max-dets', type=int, default=100,
                        help='detections per image scored, best first (COCO: 100; raise it for '
                        'images with more objects)')
    parser.add_argument('--out', help='write the metrics here as json')
    return parser


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> Dict[str, Dict[str, float]]:
    args = build_parser().parse_args(argv)
    coco_gt = load_coco_gt(args.gt)
    detections = load_detections(args.results, coco_gt)
    results = {iou: evaluate_class_agnostic(coco_gt, detections, iou, max_dets=args.max_dets)
               for iou in args.iou_type}
    names = stat_names(args.max_dets)
    print(f'class-agnostic evaluation of {args.results} ({len(detections)} detections, '
          f'{len(coco_gt.getImgIds())} images, at most {args.max_dets} scored per image)')
    print(format_table(['iou', *names], [[iou] + [f'{stats[n]:.3f}' for n in names]
                                         for iou, stats in results.items()]))
    if args.out:
        write_json_atomic(args.out, results, indent=2)
    return results


if __name__ == '__main__':
    main()
