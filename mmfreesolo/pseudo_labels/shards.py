"""Shards of a labelling run (one process each, e.g. a Slurm array task, writing its own file)
and their merge into the file a single run would have written."""
from __future__ import annotations

import glob
import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Sequence

from ..errors import UserInputError
from ..fileio.coco_file_scan import scan_coco_file
from ..fileio.coco_files import check_annotation, check_image
from ..fileio.json_files import read_json, write_json_atomic
from .label_file import FORMAT_VERSION, label_file_complete, manifest, manifest_path
from .label_file_stream import LabelFileStream


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

    The shards are read one at a time (:class:`~.label_file_stream.LabelFileStream`), so memory
    is bounded by the largest shard. Checks that every shard of the run is there once, that
    they label the same image list, and that no image is missing or labelled twice. With
    ``remove``, the shard files are deleted once ``out`` is written.

    Returns:
        The manifest written beside ``out``.
    """
    if not shard_files:
        stem, ext = osp.splitext(out)
        shard_files = sorted(path for path in glob.glob(
            f'{glob.escape(stem)}.shard-*-of-*{ext or ".json"}')
            if not path.endswith('.manifest.json'))
        if not shard_files:
            raise UserInputError(f'no shard files next to {out} ({stem}.shard-*-of-*.json)')
    with LabelFileStream(out) as stream:
        run, path_of, info, dropped = None, {}, None, Counter()
        for path in shard_files:
            shard_info = _add_shard(path, stream, path_of)
            shard = shard_info['shard']
            if run not in (None, (shard['num_shards'], shard_info['source']['list_sha256'])):
                raise UserInputError('the shards come from different runs (shard count or image '
                                     'list differ)')
            run = (shard['num_shards'], shard_info['source']['list_sha256'])
            if shard['shard_id'] == 0:
                info = {k: v for k, v in shard_info.items()
                        if k not in ('shard', 'num_images', 'num_masks', 'skipped')}
            if osp.isfile(manifest_path(path)):
                dropped.update(read_json(manifest_path(path)).get('dropped', {}))
        missing = sorted(set(range(run[0])) - set(path_of))
        if missing:
            raise UserInputError(f'shards {missing} of {run[0]} are missing')
        expected = info['source']['num_images']
        found = stream.num_images + len(stream.skipped)
        if found != expected:
            raise UserInputError(f'the shards hold {found} images, the run has {expected}')
        info = stream.write(info)
    written = manifest(out, info, stream.masks_per_image, dropped)
    write_json_atomic(manifest_path(out), written, indent=2)
    if remove:
        for path in shard_files:
            for written_file in (path, manifest_path(path)):
                if osp.isfile(written_file):
                    os.unlink(written_file)
    return written


def _add_shard(path: str, stream: LabelFileStream, path_of: Dict[int, str]) -> dict:
    """Add one shard file to ``stream``, an element at a time; returns its ``info``.

    A shard as :func:`~.labelling.write_label_file` writes it: the annotations grouped by image,
    the images and ``info`` (a shard's ``shard`` entry and format version), in any order.
    ``path_of`` (shard id -> file) gets this one.
    """
    info, images, image_ids, annotated, group = None, [], set(), set(), []

    def add_group(group: List[dict]) -> None:
        if not group:
            return
        image_id = group[0]['image_id']
        if image_id in annotated:
            raise UserInputError(f'{path}: the annotations of image_id {image_id} are not '
                                 'together (not a shard written by tools/free_mask.py)')
        annotated.add(image_id)
        stream.add_annotations(image_id, group)

    for element in scan_coco_file(path):
        if element.index is None:
            if element.key == 'info':
                info = element.value
        elif element.key == 'images':
            check_image(path, element.index, element.value, image_ids)
            images.append(element.value)
        elif element.key == 'annotations':
            check_annotation(path, element.index, element.value, None, None)
            if group and element.value['image_id'] != group[0]['image_id']:
                add_group(group)
                group = []
            group.append(element.value)
    add_group(group)
    if not isinstance(info, dict) or not isinstance(info.get('shard'), dict):
        raise UserInputError(f'{path}: not a shard of a Free Mask label file')
    if info.get('version') != FORMAT_VERSION:
        raise UserInputError(f'{path}: written in label-file format version '
                             f'{info.get("version")}, this merge writes version '
                             f'{FORMAT_VERSION}; label the shard again')
    shard_id = info['shard']['shard_id']
    if shard_id in path_of:
        raise UserInputError(f'{path}: shard {shard_id} is given twice (also {path_of[shard_id]})')
    path_of[shard_id] = path
    unlisted = sorted(annotated - image_ids)
    if unlisted:
        raise UserInputError(f'{path}: an annotation refers to image_id {unlisted[0]}, which '
                             'is not in its images')
    stream.add_skipped(info.get('skipped', []), path)
    for image in images:
        stream.add_image(image, [], path)
    return info
