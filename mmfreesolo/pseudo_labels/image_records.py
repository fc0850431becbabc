"""The images a labelling run covers: listed from a folder or a COCO json, identified by a
digest, and cut into chunks (the unit of writing and resuming) that shards and ranks share."""
from __future__ import annotations

import hashlib
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from ..errors import UserInputError
from ..fileio.coco_file_scan import check_coco_file_scan


@dataclass(frozen=True, slots=True)  # no per-record dict: COCO lists 241,690 of them
class ImageRecord:
    id: int
    file_name: str   # as written to the output: relative to the image folder, '/'-separated
    path: str


def list_images(images_dir: Optional[str] = None,
                ann_file: Optional[str] = None,
                img_root: Optional[str] = None) -> List[ImageRecord]:
    """Every file under ``images_dir`` (sorted; ids 1..N), or the images of a COCO json
    (their ids and file names, read from ``img_root``)."""
    if (images_dir is None) == (ann_file is None):
        raise UserInputError('give either an image folder or an annotation file')
    if ann_file is not None:
        if img_root is None:
            raise UserInputError(f'{ann_file}: give the folder its file_names are relative to')
        images = check_coco_file_scan(ann_file).images  # train2017's json: 860k polygons
        return [ImageRecord(img['id'], img['file_name'], osp.join(img_root, img['file_name']))
                for img in images]
    if not osp.isdir(images_dir):
        raise UserInputError(f'{images_dir}: no such folder')
    names = []
    for folder, dirs, files in os.walk(images_dir):
        dirs.sort()
        names.extend(osp.relpath(osp.join(folder, f), images_dir) for f in files
                     if not f.startswith('.'))
    if not names:
        raise UserInputError(f'{images_dir}: the folder holds no files')
    names.sort()
    return [ImageRecord(i + 1, name.replace(os.sep, '/'), osp.join(images_dir, name))
            for i, name in enumerate(names)]


def list_digest(records: Sequence[ImageRecord]) -> str:
    """A digest of the image list: runs that resume or merge must agree on it."""
    digest = hashlib.sha256()
    for r in records:
        digest.update(f'{r.id}\t{r.file_name}\n'.encode('utf-8', 'surrogateescape'))
    return digest.hexdigest()


def chunk_ranges(num_images: int, chunk_size: int, shard_id: int = 0,
                 num_shards: int = 1) -> Dict[int, range]:
    """Positions of the images of each chunk of one shard, keyed by global chunk index.

    Chunks are dealt to shards in turn, so a chunk holds the same images (and is cut into the
    same batches) in a single run, a resumed run and a sharded run.
    """
    return {k: range(start, min(start + chunk_size, num_images))
            for k, start in enumerate(range(0, num_images, chunk_size))
            if k % num_shards == shard_id}
