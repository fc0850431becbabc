"""Unlabeled images for self-supervised pretraining: a folder searched recursively, or the
images a COCO json lists. A file that cannot be read is skipped and recorded, not fatal."""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import List, Optional

from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

from ..errors import UserInputError
from ..fileio.images import read_image
from ..pseudo_labels.image_records import list_images


@DATASETS.register_module()
class UnlabeledImages(BaseDataset):
    """Every image of ``images`` (a folder, searched recursively) or of ``ann_file`` (a COCO
    json, its file names relative to ``img_root``), without labels.

    The dataset decodes the images itself (any common format, EXIF orientation applied), so the
    pipeline starts after loading: ``img`` is (H, W, 3) uint8 BGR, as ``LoadImageFromFile``
    gives it. A file that fails to decode is recorded once per process as a json line
    ``{"file_name", "reason"}`` in ``skipped_file`` (when set) and another image is drawn in its
    place, as mmengine does for a sample its pipeline drops.

    Args:
        images: a folder of images.
        ann_file: a COCO json whose images are used (its annotations are not).
        img_root: the folder the json's file names are relative to.
        skipped_file: where unreadable files are recorded (json lines, appended).
        pipeline: the transforms after loading (e.g. DenseCL's two views).
    """

    def __init__(self,
                 images: Optional[str] = None,
                 ann_file: Optional[str] = None,
                 img_root: Optional[str] = None,
                 skipped_file: Optional[str] = None,
                 pipeline: Optional[list] = None,
                 **kwargs) -> None:
        self.images, self.img_root = images, img_root
        self.skipped_file = skipped_file
        self._recorded = set()
        super().__init__(ann_file=ann_file or '', pipeline=pipeline or [], **kwargs)

    @property
    def source(self) -> str:
        return self.images or self.ann_file

    def load_data_list(self) -> List[dict]:
        records = list_images(self.images, self.ann_file or None, self.img_root)
        return [dict(img_path=r.path, file_name=r.file_name, img_id=r.id) for r in records]

    def prepare_data(self, idx: int) -> Optional[dict]:
        info = self.get_data_info(idx)
        try:
            image = read_image(info['img_path'])
        except (OSError, ValueError) as e:
            self._record_skip(info['file_name'], str(e))
            return None
        return self.pipeline(dict(info, img=image, img_shape=image.shape[:2],
                                  ori_shape=image.shape[:2]))

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        for _ in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            idx = self._rand_another()
        raise UserInputError(
            f'{self.source}: no readable image among {self.max_refetch + 1} drawn'
            + (f' (see {self.skipped_file})' if self.skipped_file else ''))

    def _record_skip(self, file_name: str, reason: str) -> None:
        if file_name in self._recorded:
            return
        self._recorded.add(file_name)
        if self.skipped_file:
            os.makedirs(osp.dirname(osp.abspath(self.skipped_file)), exist_ok=True)
            # one short line per write in append mode: lines from several workers do not mix
            with open(self.skipped_file, 'a', encoding='utf-8') as f:
                f.write(json.dumps(dict(file_name=file_name, reason=reason)) + '\n')


def read_skipped(path: str) -> List[dict]:
    """The files a pretraining run skipped, each once, in the order first recorded."""
    if not osp.isfile(path):
        return []
    seen = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:  # blank, or cut short by a kill
                continue
            seen.setdefault(entry['file_name'], entry)
    return list(seen.values())
