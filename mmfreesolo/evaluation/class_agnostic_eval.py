"""Class-agnostic COCO evaluation: pycocotools' COCOeval with ``params.useCats = 0``.

Unsupervised instance segmentation predicts "object" only, so every prediction is matched against
every ground-truth instance regardless of category. Evaluating class-aware (every prediction as
category 1, e.g. "person" on COCO) silently gives ~0 AP.
"""
from __future__ import annotations

import contextlib
import copy
import io
from typing import Dict, List, Optional, Sequence

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from ..errors import UserInputError
from ..fileio.coco_files import check_coco_file
from ..fileio.json_files import read_json

# Names of COCOeval.stats, in its order, for maxDets (1, 10, 100).
STAT_NAMES = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@1', 'AR@10', 'AR@100',
              'AR_s@100', 'AR_m@100', 'AR_l@100')


def stat_names(max_dets: int = 100) -> tuple:
    """:data:`STAT_NAMES` when at most ``max_dets`` detections per image are scored (COCO's
    100 caps recall below 1 on an image with more objects): the recall names say the cap."""
    return tuple(name.replace('@100', f'@{max_dets}') for name in STAT_NAMES)


IOU_TYPES = ('segm', 'bbox')


def evaluate_class_agnostic(coco_gt: COCO,
                            detections: List[Dict],
                            iou_type: str,
                            img_ids: Optional[Sequence[int]] = None,
                            log: Optional[List[str]] = None,
                            max_dets: int = 100) -> Dict[str, float]:
    """Evaluate COCO-format detections against ground truth, ignoring categories.

    Args:
        coco_gt: the ground truth.
        detections: COCO results (``image_id``, ``score``, ``bbox`` XYWH and/or ``segmentation``
            RLE); ``category_id`` is ignored.
        iou_type: 'segm' or 'bbox'.
        img_ids: the images to evaluate on; all of ``coco_gt``'s by default.
        log: if given, pycocotools' printed summary is appended to it.
        max_dets: the detections per image scored, best first (COCO: 100); AP and the last
            recall figures are computed at this cap.

    Returns:
        The 12 COCO statistics keyed by :func:`stat_names` of ``max_dets``.
    """
    if iou_type not in IOU_TYPES:
        raise UserInputError(f'iou_type must be one of {IOU_TYPES}, got {iou_type!r}')
    if max_dets < 10:
        raise UserInputError(f'max_dets must be at least 10 (COCO also reports AR@1 and AR@10), '
                             f'got {max_dets}')
    names = stat_names(max_dets)
    if not detections:
        return {name: 0.0 for name in names}
    # Keep only the field being evaluated: given a box, loadRes would take a mask's area from
    # the box and put it in the wrong small/medium/large range.
    field = 'segmentation' if iou_type == 'segm' else 'bbox'
    some_category = next(iter(coco_gt.getCatIds()), 1)
    kept = []
    for det in detections:
        for key in (field, 'score'):
            if key not in det:
                raise UserInputError(f'a detection of image {det.get("image_id")} has no '
                                     f'{key!r} for {iou_type} evaluation')
        kept.append(dict(image_id=det['image_id'], score=det['score'],
                         category_id=det.get('category_id', some_category),
                         **{field: copy.deepcopy(det[field])}))
    detections = kept
    unknown = {d['image_id'] for d in detections} - set(coco_gt.getImgIds())
    if unknown:
        raise UserInputError(f'{len(unknown)} image ids in the detections are not in the ground '
                             f'truth (e.g. {sorted(unknown)[:3]})')
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        coco_dt = coco_gt.loadRes(detections)
        evaluator = COCOeval(coco_gt, coco_dt, iou_type)
        evaluator.params.useCats = 0
        evaluator.params.maxDets = [1, 10, max_dets]
        if img_ids is not None:
            evaluator.params.imgIds = list(img_ids)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    if log is not None:
        log.append(printed.getvalue())
    stats = [float(value) for value in evaluator.stats]
    if max_dets != 100:  # pycocotools computes the first AP at 100 detections, whatever maxDets
        precision = evaluator.eval['precision'][:, :, :, 0, -1]  # all areas, max_dets
        stats[0] = float(precision[precision > -1].mean()) if (precision > -1).any() else -1.0
    return dict(zip(names, stats))


def load_coco_gt(path: str) -> COCO:
    """Load a ground-truth COCO json, with a clear error for a malformed file."""
    data = check_coco_file(path)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = data
        coco.createIndex()
    return coco


def load_detections(path: str, coco_gt: COCO) -> List[Dict]:
    """Read detections to evaluate: a COCO results list, or a COCO dataset json.

    A dataset json (e.g. Free Mask pseudo-labels) lists its own images: they are matched to the
    ground truth by ``file_name``, and annotations without ``score`` count as score 1.
    """
    data = read_json(path)
    if isinstance(data, list):
        for i, det in enumerate(data):
            if not isinstance(det, dict) or 'image_id' not in det:
                raise UserInputError(f'{path}: result {i} is not a dict with an image_id')
        return data
    data = check_coco_file(path, data)
    gt_ids = {img['file_name']: img['id'] for img in coco_gt.dataset['images']}
    id_map = {}
    for img in data['images']:
        if img['file_name'] not in gt_ids:
            raise UserInputError(f'{path}: image {img["file_name"]!r} is not in the ground truth')
        id_map[img['id']] = gt_ids[img['file_name']]
    detections = []
    for ann in data['annotations']:
        det = {k: ann[k] for k in ('bbox', 'segmentation') if k in ann}
        det.update(image_id=id_map[ann['image_id']], category_id=ann['category_id'],
                   score=float(ann.get('score', 1.0)))
        detections.append(det)
    return detections


def evaluate_label_file(labels: str, gt_file: str) -> Dict[str, float]:
    """Class-agnostic segm and bbox metrics of a label file (or results list), keyed
    ``<iou>_<stat>``."""
    coco_gt = load_coco_gt(gt_file)
    detections = load_detections(labels, coco_gt)
    metrics = {}
    for iou_type in IOU_TYPES:
        stats = evaluate_class_agnostic(coco_gt, detections, iou_type)
        metrics.update({f'{iou_type}_{k}': round(v, 4) for k, v in stats.items()})
    return metrics
