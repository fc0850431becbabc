"""Shards of a labelling run (one process each, e.g. a Slurm array task, writing its own file)
and their merge into the file a single run would have written."""
from __future__ import annotations

import glob
import heapq
import os
import os.path as osp
import resource
from collections import Counter
from operator import itemgetter
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

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

    The shards are read side by side, an element at a time; each holds its annotations grouped
    by image in id order, so their merge by image id goes straight to the output
    (:class:`~.label_file_stream.LabelFileStream` in id order, no spill file), and memory is the
    image index plus a block of each shard, not the masks. Checks that every shard of the run is
    there once, that they label the same image list, and that no image is missing or labelled
    twice. With ``remove``, the shard files are deleted once ``out`` is written.

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
    seen = set()
    for path in shard_files:
        if osp.realpath(path) in seen:
            raise UserInputError(f'{path} is given twice')
        seen.add(osp.realpath(path))
    _allow_open_files(len(shard_files))
    with LabelFileStream(out, in_id_order=True) as stream:
        shards = [_ShardScan(path, stream) for path in shard_files]
        last = None
        for image_id, group, shard in heapq.merge(*(s.groups() for s in shards),
                                                  key=itemgetter(0)):
            if image_id == last:
                raise UserInputError(f'image_id {image_id} is labelled in two shards (one is '
                                     f'{shard.path})')
            last = image_id
            stream.add_annotations(image_id, group)
        run, path_of, info, dropped = None, {}, None, Counter()
        for shard in shards:
            shard_info = shard.finish(path_of)
            ids = shard_info['shard']
            if run not in (None, (ids['num_shards'], shard_info['source']['list_sha256'])):
                raise UserInputError('the shards come from different runs (shard count or image '
                                     'list differ)')
            run = (ids['num_shards'], shard_info['source']['list_sha256'])
            if ids['shard_id'] == 0:
                info = {k: v for k, v in shard_info.items()
                        if k not in ('shard', 'num_images', 'num_masks', 'skipped')}
            if osp.isfile(manifest_path(shard.path)):
                dropped.update(read_json(manifest_path(shard.path)).get('dropped', {}))
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


def _allow_open_files(num_shards: int) -> None:
    """Raise this process's limit of open files (to the hard limit) if the shards need it."""
    needed = num_shards + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if needed <= soft:
        return
    if hard != resource.RLIM_INFINITY and needed > hard:
        raise UserInputError(f'merging {num_shards} shards reads them side by side, which needs '
                             f'{needed} open files; the limit here is {hard} (ulimit -Hn)')
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


class _ShardScan:
    """One shard file as :func:`~.labelling.write_label_file` writes it (its annotations grouped
    by image in id order, its images and ``info``: a shard's ``shard`` entry and format version,
    in any order), scanned once: :meth:`groups` yields the annotations and adds the images to
    ``stream``, :meth:`finish` checks the rest."""

    BLOCK = 1 << 18  # read side by side: a block per shard

    def __init__(self, path: str, stream: LabelFileStream) -> None:
        self.path = path
        self.stream = stream
        self.info = None
        self.image_ids: Set[int] = set()
        self.annotated: Set[int] = set()
        self.last = 0

    def groups(self) -> Iterator[Tuple[int, List[dict], '_ShardScan']]:
        """(image id, its annotations, this shard), in increasing image id."""
        path, group = self.path, []
        for element in scan_coco_file(path, self.BLOCK):
            if element.index is None:
                if element.key == 'info':
                    self.info = element.value
            elif element.key == 'images':
                check_image(path, element.index, element.value, self.image_ids)
                self.stream.add_image(element.value, [], path)
            elif element.key == 'annotations':
                check_annotation(path, element.index, element.value, None, None)
                if group and element.value['image_id'] != group[0]['image_id']:
                    yield self._group(group)
                    group = []
                group.append(element.value)
        if group:
            yield self._group(group)

    def _group(self, group: List[dict]) -> Tuple[int, List[dict], '_ShardScan']:
        image_id = group[0]['image_id']
        if self.annotated and image_id <= self.last:
            raise UserInputError(f'{self.path}: the annotations of image_id {image_id} are not '
                                 'grouped by image in id order (not a shard written by '
                                 'tools/free_mask.py)')
        self.annotated.add(image_id)
        self.last = image_id
        return image_id, group, self

    def finish(self, path_of: Dict[int, str]) -> dict:
        """After :meth:`groups`: check the shard, add its skipped files to the stream, and to
        ``path_of`` (shard id -> file) this one; returns its ``info``."""
        info = self.info
        if not isinstance(info, dict) or not isinstance(info.get('shard'), dict):
            raise UserInputError(f'{self.path}: not a shard of a Free Mask label file')
        if info.get('version') != FORMAT_VERSION:
            raise UserInputError(f'{self.path}: written in label-file format version '
                                 f'{info.get("version")}, this merge writes version '
                                 f'{FORMAT_VERSION}; label the shard again')
        shard_id = info['shard']['shard_id']
        if shard_id in path_of:
            raise UserInputError(f'{self.path}: shard {shard_id} is given twice (also '
                                 f'{path_of[shard_id]})')
        path_of[shard_id] = self.path
        unlisted = sorted(self.annotated - self.image_ids)
        if unlisted:
            raise UserInputError(f'{self.path}: an annotation refers to image_id {unlisted[0]}, '
                                 'which is not in its images')
        self.stream.add_skipped(info.get('skipped', []), self.path)
        return info
