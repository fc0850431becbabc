"""How good are Free Mask labels at each score? Backs the CPU FreeSOLO config's ``min_score``.

    python benchmarks/free_mask_label_quality.py GT_JSON LABELS_JSON [--bins 0.55 0.6 0.65 0.7 0.8]

Matches every pseudo-label to the ground truth of its image (by file_name) and prints, per score
bin, how many labels there are, the share whose best mask IoU with an object is > 0.5, and their
mean best IoU.
"""
import argparse
import os.path as osp
import sys
from collections import defaultdict

import numpy as np
from pycocotools import mask as mask_utils

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmfreesolo.evaluation.class_agnostic_eval import load_coco_gt, load_detections  # noqa: E402


def best_ious(coco_gt, detections):
    """(score, best mask IoU with the image's objects) of every detection."""
    by_image = defaultdict(list)
    for det in detections:
        by_image[det['image_id']].append(det)
    rows = []
    for image_id, dets in by_image.items():
        gts = [coco_gt.annToRLE(a) for a in coco_gt.imgToAnns[image_id]]
        rles = [dict(d['segmentation'], counts=d['segmentation']['counts'].encode())
                if isinstance(d['segmentation']['counts'], str) else d['segmentation']
                for d in dets]
        ious = (mask_utils.iou(rles, gts, [0] * len(gts)).max(axis=1) if gts
                else np.zeros(len(dets)))
        rows.extend(zip([d['score'] for d in dets], ious))
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('gt')
    parser.add_argument('labels')
    parser.add_argument('--bins', type=float, nargs='+', default=[0.55, 0.6, 0.65, 0.7, 0.8])
    args = parser.parse_args()
    coco_gt = load_coco_gt(args.gt)
    rows = best_ious(coco_gt, load_detections(args.labels, coco_gt))
    edges = [-np.inf] + args.bins + [np.inf]
    print(f'{len(rows)} labels of {args.labels}')
    print('score bin      labels  IoU>0.5  mean IoU')
    for low, high in zip(edges[:-1], edges[1:]):
        inside = rows[(rows[:, 0] >= low) & (rows[:, 0] < high)]
        if len(inside):
            print(f'[{low:5.2f}, {high:5.2f})  {len(inside):6d}  {(inside[:, 1] > 0.5).mean():7.3f}'
                  f'  {inside[:, 1].mean():8.3f}')


if __name__ == '__main__':
    main()
