"""Writing a label file from its parts (a run's chunk files, or the shard files of a sharded run)
read one at a time, so that memory is bounded by the largest part, not by the file.

The output is byte for byte what ``json.dump`` writes for the file assembled in memory: images
sorted by id, annotations numbered from 1 in that order (each gets ``id`` and ``image_id``
first), the skipped files sorted by name in ``info`` with the counts. Each part's annotations
are serialised once, into a temporary spill file beside the output, and copied from there in
image-id order.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import tempfile
from array import array
from typing import Dict, List, Sequence

from ..errors import UserInputError
from ..fileio.coco_files import CATEGORIES


class LabelFileStream:
    """Collects the parts of one label file, then writes it (:meth:`write`).

    Args:
        out: the label file to write; its folder holds the spill file meanwhile.
    """

    def __init__(self, out: str) -> None:
        self.out = out
        folder = osp.dirname(osp.abspath(out))
        os.makedirs(folder, exist_ok=True)
        self._spill = tempfile.TemporaryFile(prefix='.' + osp.basename(out) + '.', dir=folder)
        # per image, in the order added: id, its entry as JSON, where its annotations were spilt
        self._ids = array('q')
        self._entries: List[str] = []
        self._offsets = array('q')
        self._lengths = array('q')
        self.masks_per_image = array('l')
        self.skipped: List[dict] = []
        self._part_of: Dict[str, str] = {}

    @property
    def num_images(self) -> int:
        return len(self._ids)

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
        """One image entry of ``part`` and its annotations."""
        self._claim(image['file_name'], part)
        texts = [json.dumps({k: v for k, v in ann.items() if k not in ('id', 'image_id')})
                 for ann in annotations]
        blob = '\n'.join(texts).encode('utf-8')  # JSON text holds no raw newline
        self._ids.append(image['id'])
        self._entries.append(json.dumps(image))
        self._offsets.append(self._spill.tell())
        self._lengths.append(len(blob))
        self.masks_per_image.append(len(texts))
        self._spill.write(blob)

    def _claim(self, name: str, part: str) -> None:
        if name in self._part_of:
            raise UserInputError(f'{name} is in both {self._part_of[name]} and {part}')
        self._part_of[name] = part

    def write(self, info: dict) -> dict:
        """Write the file atomically; ``info`` gets ``num_images``, ``num_masks`` and the sorted
        ``skipped``, and is returned."""
        order = sorted(range(len(self._ids)), key=self._ids.__getitem__)
        for a, b in zip(order, order[1:]):
            if self._ids[a] == self._ids[b]:
                raise UserInputError('an image id appears twice among the labelled images')
        info = dict(info, num_images=len(order), num_masks=sum(self.masks_per_image),
                    skipped=sorted(self.skipped, key=lambda s: s['file_name']))
        folder = osp.dirname(osp.abspath(self.out))
        fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(self.out) + '.', dir=folder)
        try:
            with os.fdopen(fd, 'w', encoding='utf-8') as f:
                f.write('{"info": ' + json.dumps(info) + ', "images": [')
                f.write(', '.join(self._entries[i] for i in order))
                f.write('], "annotations": [')
                self._write_annotations(f, order)
                f.write('], "categories": ' + json.dumps(CATEGORIES) + '}')
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.out)
        except BaseException:
            if osp.exists(tmp):
                os.unlink(tmp)
            raise
        finally:
            self._spill.close()
        return info

    def _write_annotations(self, f, order: Sequence[int]) -> None:
        number = 0
        for i in order:
            if not self._lengths[i]:
                continue
            self._spill.seek(self._offsets[i])
            image_id = json.dumps(self._ids[i])
            for text in self._spill.read(self._lengths[i]).decode('utf-8').split('\n'):
                number += 1
                # json.dumps(dict(id=..., image_id=..., **ann)), without building the dict
                rest = text[1:] if text == '{}' else ', ' + text[1:]
                f.write(('' if number == 1 else ', ')
                        + f'{{"id": {number}, "image_id": {image_id}' + rest)
