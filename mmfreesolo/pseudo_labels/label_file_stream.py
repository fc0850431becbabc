"""Writing a label file from its parts (a run's chunk files, or the shard files of a sharded run)
read a piece at a time, so that memory is bounded by the largest piece, not by the file.

The output is byte for byte what ``json.dump`` with compact separators (no space after ``,`` and
``:``: 2 % of a COCO-scale file) writes for the file assembled in memory, its keys in the order
annotations, images, info, categories: annotations numbered from 1 in image-id order (each gets
``id`` and ``image_id`` first), images sorted by id, the skipped files sorted by name in
``info`` with the counts. Annotations come first so that annotations given in image-id order
(a run's own chunks, usually; the shards of a sharded run, merged side by side) go straight to
the output; in any other order they are serialised once into a temporary spill file beside the
output and copied from there in image-id order.
"""
from __future__ import annotations

import functools
import json
import os
import os.path as osp
import tempfile
from array import array
from typing import Dict, List, Sequence

from ..errors import UserInputError
from ..fileio.coco_files import CATEGORIES

dumps = functools.partial(json.dumps, separators=(',', ':'))


class LabelFileStream:
    """Collects the parts of one label file, then writes it (:meth:`write`). A context manager:
    leaving it without :meth:`write` leaves no file behind.

    Args:
        out: the label file to write; its folder holds the unfinished output (and the spill
            file) meanwhile.
        in_id_order: the caller gives the annotations image by image in increasing image id,
            so they are written to the output at once, without a spill file; annotations out of
            that order are an error (the image entries may come in any order).
    """

    def __init__(self, out: str, in_id_order: bool = False) -> None:
        self.out = out
        self.in_id_order = in_id_order
        folder = osp.dirname(osp.abspath(out))
        os.makedirs(folder, exist_ok=True)
        prefix = '.' + osp.basename(out) + '.'
        fd, self._tmp = tempfile.mkstemp(prefix=prefix, dir=folder)
        self._file = os.fdopen(fd, 'w', encoding='utf-8')
        self._file.write('{"annotations":[')
        self._spill = None if in_id_order else tempfile.TemporaryFile(prefix=prefix, dir=folder)
        self._numbered = 0
        # per image, in the order added: id and its entry as JSON
        self._ids = array('q')
        self._entries: List[str] = []
        # per image with annotations: its id, how many, where they were spilt
        self._group_ids = array('q')
        self._counts = array('l')
        self._offsets = array('q')
        self._lengths = array('q')
        self.skipped: List[dict] = []
        self._part_of: Dict[str, str] = {}

    def __enter__(self) -> 'LabelFileStream':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Drop what is not written yet (nothing after :meth:`write`)."""
        for f in (self._file, self._spill):
            if f is not None:
                f.close()
        if osp.exists(self._tmp):
            os.unlink(self._tmp)

    @property
    def num_images(self) -> int:
        return len(self._ids)

    @property
    def masks_per_image(self) -> List[int]:
        """The number of masks of each image, in no particular order."""
        return list(self._counts) + [0] * (len(self._ids) - len(self._counts))

    def add(self, images: Sequence[dict], annotations: Dict[int, List[dict]],
            skipped: Sequence[dict], part: str) -> None:
        """One part: its COCO image entries, their annotations (per image id, any ``id`` and
        ``image_id`` keys are replaced) and its skipped files (``{'file_name', 'reason'}``).
        A file already added with another part is an error naming both parts."""
        self.add_skipped(skipped, part)
        for img in images:
            self.add_image(img, annotations.get(img['id'], []), part)

    def add_skipped(self, skipped: Sequence[dict], part: str) -> None:
        for entry in skipped:
            self._claim(entry['file_name'], part)
        self.skipped.extend(skipped)

    def add_image(self, image: dict, annotations: Sequence[dict], part: str) -> None:
        """One image entry of ``part`` and its annotations (which may also be given on their
        own, before or after: :meth:`add_annotations`)."""
        self._claim(image['file_name'], part)
        self._ids.append(image['id'])
        self._entries.append(dumps(image))
        if annotations:
            self.add_annotations(image['id'], annotations)

    def add_annotations(self, image_id: int, annotations: Sequence[dict]) -> None:
        """All the annotations of one image, whose entry is added by :meth:`add_image`."""
        if not annotations:
            return
        if self.in_id_order and self._group_ids and image_id <= self._group_ids[-1]:
            raise ValueError(f'annotations of image id {image_id} follow those of '
                             f'{self._group_ids[-1]}: the stream was promised increasing ids')
        texts = [dumps({k: v for k, v in ann.items() if k not in ('id', 'image_id')})
                 for ann in annotations]
        self._group_ids.append(image_id)
        self._counts.append(len(texts))
        if self.in_id_order:
            self._write_numbered(texts, image_id)
            return
        blob = '\n'.join(texts).encode('utf-8')  # JSON text holds no raw newline
        self._offsets.append(self._spill.tell())
        self._lengths.append(len(blob))
        self._spill.write(blob)

    def _claim(self, name: str, part: str) -> None:
        if name in self._part_of:
            raise UserInputError(f'{name} is in both {self._part_of[name]} and {part}')
        self._part_of[name] = part

    def _write_numbered(self, texts: Sequence[str], image_id: int) -> None:
        """Annotations of one image (their JSON without ids) with their ids, to the output."""
        for text in texts:
            self._numbered += 1
            # dumps(dict(id=..., image_id=..., **ann)), without building the dict
            rest = text[1:] if text == '{}' else ',' + text[1:]
            self._file.write(('' if self._numbered == 1 else ',')
                             + f'{{"id":{self._numbered},"image_id":{image_id}' + rest)

    def write(self, info: dict) -> dict:
        """Write the file atomically; ``info`` gets ``num_images``, ``num_masks`` and the sorted
        ``skipped``, and is returned."""
        try:
            order = sorted(range(len(self._ids)), key=self._ids.__getitem__)
            for a, b in zip(order, order[1:]):
                if self._ids[a] == self._ids[b]:
                    raise UserInputError('an image id appears twice among the labelled images')
            groups = sorted(range(len(self._group_ids)), key=self._group_ids.__getitem__)
            annotated = set(self._group_ids)
            unlisted = annotated.difference(self._ids)
            if unlisted or len(annotated) < len(groups):
                raise UserInputError(f'annotations of image ids {sorted(unlisted)[:5]} have no '
                                     'image entry' if unlisted else
                                     'the annotations of an image are given twice')
            info = dict(info, num_images=len(order), num_masks=sum(self._counts),
                        skipped=sorted(self.skipped, key=lambda s: s['file_name']))
            if not self.in_id_order:
                for g in groups:
                    self._spill.seek(self._offsets[g])
                    texts = self._spill.read(self._lengths[g]).decode('utf-8').split('\n')
                    self._write_numbered(texts, self._group_ids[g])
            f = self._file
            f.write('],"images":[')
            f.write(','.join(self._entries[i] for i in order))
            f.write('],"info":' + dumps(info) + ',"categories":' + dumps(CATEGORIES) + '}')
            f.flush()
            os.fsync(f.fileno())
            f.close()
            os.replace(self._tmp, self.out)
        finally:
            self.close()
        return info
