"""How good are pseudo-labels at each score, and which objects do they miss? Backs the CPU
FreeSOLO config's ``min_score`` and the rounds' labelling cut.

    python benchmarks/free_mask_label_quality.py GT_JSON LABELS_JSON [--bins 0.55 0.6 0.65 0.7 0.8]
        [--min-score S] [--area-bins 100 200 400 800 1600] [--top 50 100 200]
        [--frame-fractions 0.1 0.15 0.2]

Matches every pseudo-label (Free Mask's, or a round's ``self_training_labels.json``) scored
>= ``min_score`` to the ground truth of its image (by file_name) and prints, per score bin, how
many labels there are, the share whose best mask IoU with an object is > 0.5, their mean best
IoU and the share that overlap no object (best IoU < 0.1); then, per object size (visible area
in pixels, the ground truth's ``area``), how many objects the labelled images hold and the share
of them some label overlaps with IoU > 0.5. With ``--top``, what the best-scored N labels (or a
model's predictions) of all images are, matched in score order as COCO's evaluation does:
*found* (IoU > 0.5 with an object no better-scored label found), *duplicate* (IoU > 0.5 with
found objects only), *part* (more than 80 % of the label inside an object), *spread* (the label
covers more than 80 % of an object, and so much around it that IoU <= 0.5), *background* (best
IoU < 0.1), or *loose* (any other overlap). With ``--frame-fractions``, how many of the labels
cover more than each fraction of their image's frame (its outermost rows and columns), and how
many of those match an object (IoU > 0.5) or overlap none (IoU < 0.1): what
``FreeMaskLabelDataset(ignore_frame_fraction=...)`` would leave out of training.
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
from mmfreesolo.fileio.json_files import read_json  # noqa: E402
from mmfreesolo.structures.mask_frame import frame_fractions  # noqa: E402


def _rles(detections):
    return [dict(d['segmentation'], counts=d['segmentation']['counts'].encode())
            if isinstance(d['segmentation']['counts'], str) else d['segmentation']
            for d in detections]


def _by_image(detections):
    by_image = defaultdict(list)
    for det in detections:
        by_image[det['image_id']].append(det)
    return by_image


def mask_ious(coco_gt, detections, image_ids):
    """Per image of ``image_ids``: (D, G) mask IoUs of its detections with its objects, the
    detections' scores, the objects' areas and the detections' areas."""
    by_image = _by_image(detections)
    for image_id in image_ids:
        dets, objects = by_image[image_id], coco_gt.imgToAnns[image_id]
        ious = (mask_utils.iou(_rles(dets), [coco_gt.annToRLE(a) for a in objects],
                               [0] * len(objects))
                if dets and objects else np.zeros((len(dets), len(objects))))
        yield (np.asarray(ious).reshape(len(dets), len(objects)),
               np.array([d['score'] for d in dets]), np.array([a['area'] for a in objects]),
               mask_utils.area(_rles(dets)) if dets else np.zeros(0))


def best_ious(coco_gt, detections, image_ids):
    """(score, best mask IoU with the image's objects) of every detection of ``image_ids``."""
    rows = [(s, iou) for ious, scores, _, _ in mask_ious(coco_gt, detections, image_ids)
            for s, iou in zip(scores, ious.max(axis=1) if ious.shape[1] else
                              np.zeros(len(scores)))]
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


def object_recall(coco_gt, detections, image_ids):
    """(visible area, best mask IoU with a detection) of every object of ``image_ids``."""
    rows = [(area, iou) for ious, _, areas, _ in mask_ious(coco_gt, detections, image_ids)
            for area, iou in zip(areas, ious.max(axis=0) if ious.shape[0] else
                                 np.zeros(len(areas)))]
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


def frame_cover(coco_gt, detections, image_ids):
    """(best mask IoU with the image's objects, fraction of the image's frame covered) of every
    detection of ``image_ids``."""
    by_image, rows = _by_image(detections), []
    for image_id, (ious, _, _, _) in zip(image_ids, mask_ious(coco_gt, detections, image_ids)):
        if by_image[image_id]:
            masks = np.moveaxis(mask_utils.decode(_rles(by_image[image_id])), -1, 0)
            best = ious.max(axis=1) if ious.shape[1] else np.zeros(len(masks))
            rows += zip(best, frame_fractions(masks))
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


ERRORS = ('found', 'duplicate', 'part', 'spread', 'loose', 'background')


def error_classes(coco_gt, detections, image_ids):
    """(score, index into ``ERRORS``) of every detection of ``image_ids`` (see the top)."""
    rows = []
    for ious, scores, object_areas, areas in mask_ious(coco_gt, detections, image_ids):
        # mask intersections from the IoUs and both areas
        inter = ious * (areas[:, None] + object_areas[None]) / (1 + ious)
        found = np.zeros(ious.shape[1], dtype=bool)
        for d in np.argsort(-scores, kind='stable'):
            iou = ious[d]
            free = (iou > 0.5) & ~found
            if free.any():
                found[np.flatnonzero(free)[np.argmax(iou[free])]] = True
                kind = 'found'
            elif (iou > 0.5).any():
                kind = 'duplicate'
            elif not len(iou) or iou.max() < 0.1:
                kind = 'background'
            elif (inter[d] > 0.8 * areas[d]).any():
                kind = 'part'
            elif (inter[d] > 0.8 * object_areas).any():
                kind = 'spread'
            else:
                kind = 'loose'
            rows.append((scores[d], ERRORS.index(kind)))
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


def labelled_images(path, coco_gt):
    """Ground-truth ids of the images a label file lists (also those it left without labels)."""
    data = read_json(path)
    if isinstance(data, list):  # a results list names only the images with detections
        return sorted({d['image_id'] for d in data})
    gt_ids = {img['file_name']: img['id'] for img in coco_gt.dataset['images']}
    return sorted(gt_ids[img['file_name']] for img in data['images'])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('gt')
    parser.add_argument('labels')
    parser.add_argument('--bins', type=float, nargs='+', default=[0.55, 0.6, 0.65, 0.7, 0.8])
    parser.add_argument('--min-score', type=float, default=0.0,
                        help='only labels scored at least this (a dataset\'s min_score)')
    parser.add_argument('--area-bins', type=float, nargs='+',
                        default=[100, 200, 400, 800, 1600])
    parser.add_argument('--top', type=int, nargs='*', default=[],
                        help='what the best-scored N labels of all images are, for each N')
    parser.add_argument('--frame-fractions', type=float, nargs='*', default=[],
                        help='the labels covering more than each fraction of the image\'s frame')
    args = parser.parse_args()
    coco_gt = load_coco_gt(args.gt)
    detections = [d for d in load_detections(args.labels, coco_gt)
                  if d['score'] >= args.min_score]
    images = labelled_images(args.labels, coco_gt)
    rows = best_ious(coco_gt, detections, images)
    print(f'{len(rows)} labels scored >= {args.min_score} of {args.labels}, '
          f'{len(rows) / max(len(images), 1):.2f} an image, {(rows[:, 1] > 0.5).mean():.3f} '
          'of them with IoU > 0.5' if len(rows) else f'no label of {args.labels}')
    # IoU<0.1: labels that overlap no object, mostly background
    print('score bin      labels  IoU>0.5  mean IoU  IoU<0.1')
    edges = [-np.inf] + args.bins + [np.inf]
    for low, high in zip(edges[:-1], edges[1:]):
        inside = rows[(rows[:, 0] >= low) & (rows[:, 0] < high)]
        if len(inside):
            print(f'[{low:5.2f}, {high:5.2f})  {len(inside):6d}  {(inside[:, 1] > 0.5).mean():7.3f}'
                  f'  {inside[:, 1].mean():8.3f}  {(inside[:, 1] < 0.1).mean():7.3f}')
    objects = object_recall(coco_gt, detections, images)
    print(f'\n{len(objects)} objects in {len(images)} images, '
          f'{(objects[:, 1] > 0.5).mean() if len(objects) else 0:.3f} of them found '
          '(a label with IoU > 0.5)')
    print('object area     objects  found')
    edges = [0] + args.area_bins + [np.inf]
    for low, high in zip(edges[:-1], edges[1:]):
        found = objects[(objects[:, 0] >= low) & (objects[:, 0] < high), 1] > 0.5
        if len(found):
            print(f'[{low:5.0f}, {high:5.0f})  {len(found):7d}  {found.mean():5.3f}')
    if args.top:
        classes = error_classes(coco_gt, detections, images)
        classes = classes[np.argsort(-classes[:, 0], kind='stable')]
        print('\nbest-scored  ' + '  '.join(f'{e:>10s}' for e in ERRORS))
        for n in args.top:
            counts = np.bincount(classes[:n, 1].astype(int), minlength=len(ERRORS))
            print(f'{n:11d}  ' + '  '.join(f'{c:10d}' for c in counts))
    if args.frame_fractions:
        cover = frame_cover(coco_gt, detections, images)
        print('\nframe covered  labels  IoU>0.5  IoU<0.1')
        for fraction in [0.0] + args.frame_fractions:
            over = cover[cover[:, 1] > fraction, 0]
            print(f'> {fraction:11.2f}  {len(over):6d}  {(over > 0.5).sum():7d}  '
                  f'{(over < 0.1).sum():7d}')


if __name__ == '__main__':
    main()
