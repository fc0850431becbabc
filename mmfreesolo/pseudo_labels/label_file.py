"""The pseudo-label file: a COCO json of class-agnostic masks, and the manifest beside it.

Layout: category 1 "object"; per annotation an RLE mask at the image's resolution, its XYWH box
and area computed from the mask, ``score`` (decayed maskness) and, when computed, ``emb``.
``info`` records the run (config, checkpoint and its sha256, the image list's digest), counts
and the skipped files. The manifest (``<stem>.manifest.json``) holds the counts at a glance:
masks, images without masks, what the selection dropped.
"""
from __future__ import annotations

import os.path as osp
from collections import Counter
from typing import Dict, List, Sequence

from mmengine.structures import InstanceData

from ..errors import UserInputError
from ..fileio.coco_files import CATEGORIES
from ..structures import mask_to_annotation

FORMAT_VERSION = 1


def instances_to_annotations(instances: InstanceData) -> List[dict]:
    """COCO annotations (without ids) of one image's predicted instances.

    ``instances.masks`` (N, H, W) bool, ``scores`` (N, ), optionally ``embeddings`` (N, D).
    """
    masks = instances.masks.cpu().numpy()
    scores = instances.scores.float().cpu().numpy()
    embeddings = (instances.embeddings.float().cpu().numpy()
                  if 'embeddings' in instances else None)
    annotations = []
    for i, mask in enumerate(masks):
        ann = dict(category_id=1, **mask_to_annotation(mask), score=round(float(scores[i]), 6))
        if embeddings is not None:
            ann['emb'] = [round(float(v), 6) for v in embeddings[i]]
        annotations.append(ann)
    return annotations


def assemble(images: Sequence[dict], annotations: Dict[int, List[dict]],
             skipped: Sequence[dict], info: dict) -> dict:
    """The label file: images sorted by id, annotation ids numbered in that order.

    Args:
        images: COCO image entries (id, file_name, height, width).
        annotations: per image id, its annotations without ids.
        skipped: ``{'file_name', 'reason'}`` of the files that could not be processed.
        info: the run's description; counts and the skipped list are added.
    """
    images = sorted(images, key=lambda img: img['id'])
    ids = [img['id'] for img in images]
    if len(set(ids)) != len(ids):
        raise UserInputError('an image id appears twice among the labelled images')
    numbered = []
    for img in images:
        for ann in annotations.get(img['id'], []):
            numbered.append(dict(id=len(numbered) + 1, image_id=img['id'], **ann))
    info = dict(info, num_images=len(images), num_masks=len(numbered),
                skipped=sorted(skipped, key=lambda s: s['file_name']))
    return dict(info=info, images=images, annotations=numbered, categories=CATEGORIES)


def label_file_complete(path: str) -> bool:
    """Whether a label file was fully written: it is there and no unfinished chunks are beside
    it (a run writes ``<path>.parts/`` first and removes it last, after the manifest)."""
    return osp.isfile(path) and not osp.isdir(path + '.parts')


def manifest_path(labels_file: str) -> str:
    """Where the manifest of a label file is written."""
    return osp.splitext(labels_file)[0] + '.manifest.json'


def manifest(labels_file: str, labels: dict, dropped: Dict[str, int], **extra) -> dict:
    """The manifest of an assembled label file: its counts, what the selection of predictions
    dropped per rule, and ``extra`` (what the caller's run adds, e.g. the checkpoint)."""
    info = labels['info']
    counts = Counter(ann['image_id'] for ann in labels['annotations'])
    per_image = [counts.get(img['id'], 0) for img in labels['images']]
    return dict(labels=labels_file, num_images=info['num_images'],
                num_skipped=len(info['skipped']), num_masks=info['num_masks'],
                images_without_masks=per_image.count(0),
                max_masks_per_image=max(per_image, default=0),
                dropped=dict(sorted(dropped.items())), **extra)
