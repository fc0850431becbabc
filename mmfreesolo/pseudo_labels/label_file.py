"""The pseudo-label file: a COCO json of class-agnostic masks, its shards, and their merge.

Layout: category 1 "object"; per annotation an RLE mask at the image's resolution, its XYWH box
and area computed from the mask, ``score`` (decayed maskness) and, when computed, ``emb``.
``info`` records the config, the checkpoint's sha256, counts and the skipped files.
"""
from __future__ import annotations

import glob
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.structures import InstanceData

from ..atomic_write import write_json_atomic
from ..datasets.coco_file_check import read_json
from ..errors import UserInputError
from ..structures import mask_to_annotation

FORMAT_VERSION = 1
CATEGORIES = [dict(id=1, name='object', supercategory='object')]


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


def shard_path(out: str, shard_id: int, num_shards: int) -> str:
    """Where shard ``shard_id`` of ``num_shards`` writes its labels (``out`` itself if 1)."""
    if num_shards == 1:
        return out
    stem, ext = osp.splitext(out)
    return f'{stem}.shard-{shard_id:03d}-of-{num_shards:03d}{ext or ".json"}'


def label_file_complete(path: str) -> bool:
    """Whether a label file was fully written: it is there and no unfinished chunks are beside
    it (a run writes ``<path>.parts/`` first and removes it last)."""
    return osp.isfile(path) and not osp.isdir(path + '.parts')


def unfinished_shards(out: str, num_shards: int) -> List[int]:
    """The shards of a run into ``out`` still to be done; none once ``out`` is complete."""
    if num_shards < 1:
        raise UserInputError(f'the number of shards must be positive, got {num_shards}')
    if label_file_complete(out):
        return []
    return [k for k in range(num_shards)
            if not label_file_complete(shard_path(out, k, num_shards))]


def merge_shards(out: str, shard_files: Optional[Sequence[str]] = None,
                 remove: bool = False) -> dict:
    """Join shard outputs into ``out``: the same file a single run would have written.

    Checks that every shard of the run is there once, that they label the same image list, and
    that no image is missing or labelled twice. With ``remove``, the shard files are deleted
    once ``out`` is written.
    """
    if not shard_files:
        stem, ext = osp.splitext(out)
        shard_files = sorted(glob.glob(f'{glob.escape(stem)}.shard-*-of-*{ext or ".json"}'))
        if not shard_files:
            raise UserInputError(f'no shard files next to {out} ({stem}.shard-*-of-*.json)')
    shards = [(path, read_json(path)) for path in shard_files]
    runs = set()
    by_id = {}
    for path, data in shards:
        shard = data.get('info', {}).get('shard')
        if data.get('info', {}).get('version') != FORMAT_VERSION or not shard:
            raise UserInputError(f'{path}: not a shard of a Free Mask label file')
        runs.add((shard['num_shards'], data['info']['source']['list_sha256']))
        if shard['shard_id'] in by_id:
            raise UserInputError(f'{path}: shard {shard["shard_id"]} is given twice '
                                 f'(also {by_id[shard["shard_id"]][0]})')
        by_id[shard['shard_id']] = (path, data)
    if len(runs) != 1:
        raise UserInputError('the shards come from different runs (shard count or image list '
                             'differ)')
    ((num_shards, _), ) = runs
    missing = sorted(set(range(num_shards)) - set(by_id))
    if missing:
        raise UserInputError(f'shards {missing} of {num_shards} are missing')

    images, annotations, skipped, seen = [], {}, [], {}
    for shard_id in range(num_shards):
        path, data = by_id[shard_id]
        for entry in data['images'] + data['info']['skipped']:
            name = entry['file_name']
            if name in seen:
                raise UserInputError(f'{name} is in both {seen[name]} and {path}')
            seen[name] = path
        images.extend(data['images'])
        skipped.extend(data['info']['skipped'])
        for ann in data['annotations']:
            annotations.setdefault(ann['image_id'], []).append(
                {k: v for k, v in ann.items() if k not in ('id', 'image_id')})
    info = {k: v for k, v in by_id[0][1]['info'].items()
            if k not in ('shard', 'num_images', 'num_masks', 'skipped')}
    expected = info['source']['num_images']
    if len(seen) != expected:
        raise UserInputError(f'the shards hold {len(seen)} images, the run has {expected}')
    merged = assemble(images, annotations, skipped, info)
    write_json_atomic(out, merged)
    if remove:
        for path, _ in shards:
            os.unlink(path)
    return merged
