"""Pictures of a label file: each image's masks, beside its ground truth when given."""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, List, Optional

import cv2
import numpy as np
import pycocotools.mask as mask_utils

from ..errors import UserInputError
from ..fileio.coco_files import check_coco_file
from ..fileio.images import read_image
from .overlay import draw_instances


def annotations_to_instances(anns: List[dict], shape) -> tuple:
    """(masks (N, H, W) bool, boxes (N, 4) XYXY, scores (N, ) or None) of COCO annotations."""
    if not anns:
        return np.zeros((0, ) + tuple(shape), bool), np.zeros((0, 4)), None
    masks = np.stack([mask_utils.decode(a['segmentation']) for a in anns]).astype(bool)
    boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)])
    scores = (np.array([a['score'] for a in anns])
              if all('score' in a for a in anns) else None)
    return masks, boxes, scores


def draw_label_file(labels_file: str, img_root: str, out_dir: str,
                    gt_file: Optional[str] = None, num_images: int = 8,
                    score_thr: float = 0.0) -> List[str]:
    """Write ``<out_dir>/<image stem>.png`` for the first ``num_images`` labelled images:
    the labels drawn with their scores, to the right of the ground truth when ``gt_file`` is
    given (matched by file_name). Returns the written paths."""
    labels = check_coco_file(labels_file)
    gt = check_coco_file(gt_file) if gt_file else None
    by_image: Dict[int, List[dict]] = {}
    for ann in labels['annotations']:
        if ann.get('score', 1.0) >= score_thr:
            by_image.setdefault(ann['image_id'], []).append(ann)
    gt_by_name: Dict[str, List[dict]] = {}
    if gt is not None:
        names = {img['id']: img['file_name'] for img in gt['images']}
        for img in gt['images']:
            gt_by_name[img['file_name']] = []
        for ann in gt['annotations']:
            gt_by_name[names[ann['image_id']]].append(ann)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for img in labels['images'][:num_images]:
        path = osp.join(img_root, img['file_name'])
        try:
            image = read_image(path)[..., ::-1]
        except (OSError, ValueError) as e:
            raise UserInputError(f'{path}: cannot draw it ({e})') from None
        masks, boxes, scores = annotations_to_instances(by_image.get(img['id'], []),
                                                        image.shape[:2])
        panels = [draw_instances(image, masks, boxes, scores)]  # no scores: ground truth
        if gt is not None:
            if img['file_name'] not in gt_by_name:
                raise UserInputError(f'{img["file_name"]} is not in {gt_file}')
            gt_masks, gt_boxes, _ = annotations_to_instances(gt_by_name[img['file_name']],
                                                             image.shape[:2])
            panels.insert(0, draw_instances(image, gt_masks, gt_boxes))
        name = osp.splitext(img['file_name'].replace('/', '_'))[0] + '.png'
        target = osp.join(out_dir, name)
        cv2.imwrite(target, np.concatenate(panels, axis=1)[..., ::-1])
        written.append(target)
    return written
