"""Shards of a labelling run (one process each, e.g. a Slurm array task, writing its own file)
and their merge into the file a single run would have written."""
from __future__ import annotations

import glob
import os
import os.path as osp
from collections import Counter
from typing import List, Optional, Sequence

from ..errors import UserInputError
from ..fileio.json_files import read_json, write_json_atomic
from .label_file import FORMAT_VERSION, assemble, label_file_complete, manifest, manifest_path


def shard_path(out: str, shard_id: int, num_shards: int) -> str:
    """Where shard ``shard_id`` of ``num_shards`` writes its labels (``out`` itself if 1)."""
    if num_shards == 1:
        return out
    stem, ext = osp.splitext(out)
    return f'{stem}.shard-{shard_id:03d}-of-{num_shards:03d}{ext or ".json"}'


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
        shard_files = sorted(path for path in glob.glob(
            f'{glob.escape(stem)}.shard-*-of-*{ext or ".json"}')
            if not path.endswith('.manifest.json'))
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
    dropped = Counter()
    for path, _ in shards:
        if osp.isfile(manifest_path(path)):
            dropped.update(read_json(manifest_path(path)).get('dropped', {}))
    write_json_atomic(out, merged)
    write_json_atomic(manifest_path(out), manifest(out, merged, dropped), indent=2)
    if remove:
        for path, _ in shards:
            for written in (path, manifest_path(path)):
                if osp.isfile(written):
                    os.unlink(written)
    return merged
