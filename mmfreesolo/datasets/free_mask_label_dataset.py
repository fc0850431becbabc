"""A COCO dataset of Free Mask pseudo-labels, filtered by each mask's ``score``, that stays small
at COCO scale: it keeps where each mask lies in the file, not the mask."""
from __future__ import annotations

import binascii
import gc
import json
import os
from array import array
from typing import List, Optional

import numpy as np
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from pycocotools import mask as mask_utils

from ..errors import UserInputError
from ..fileio.coco_file_scan import check_coco_file_scan
from ..pseudo_labels.label_file import decode_embedding
from ..structures.mask_frame import frame_fractions


@DATASETS.register_module()
class FreeMaskLabelDataset(CocoDataset):
    """CocoDataset over a pseudo-label file written by ``tools/free_mask.py`` (or by a
    self-training round), or any COCO instances file: one class, "object".

    Every instance also carries ``score``, the label's confidence (1.0 where the file has none);
    a score that is not a number is an error naming the annotation. Images without masks are
    dropped for training by ``filter_cfg=dict(filter_empty_gt=True)``, the default here.

    The file is read once as a scan (one annotation at a time), which applies CocoDataset's
    rules (ignored, empty or outside boxes, other categories) and ``min_score``, and keeps per
    image only the byte spans of its kept annotations; :meth:`get_data_info` reads those back
    (``os.pread``, so forked dataloader workers share the file's page cache). Time and memory
    at COCO scale: ``benchmarks/coco_scale.py`` (docs/benchmarks.md).

    Args:
        min_score: labels scored below this are dropped. Free Mask's score separates good
            masks from background blobs, so a stricter threshold for training than for
            writing the file trades recall for clean targets.
        ignore_score: if set, labels scored from it up to ``min_score`` are kept as ignored
            instances (``ignore_flag=1``; none when it is ``min_score`` or above, as in later
            rounds that lower ``min_score``): a head that honours them (``FreeSOLOHead``)
            trains neither the object nor background where they lie, so an object whose label
            missed the cut is not taught as background. Images whose labels are all ignored
            are dropped for training like images without labels.
        ignore_area: labels that would be trained but whose ``area`` (the file's, in pixels of
            the image as written) is below this are kept as ignored instances instead: the weak
            losses learn little from a mask a few cells wide at stride 4. 0 ignores none.
        ignore_image_fraction: labels that would be trained but whose ``area`` is more than
            this fraction of their image's (``width`` x ``height``, as the file lists the image)
            are kept as ignored instances instead: Free Mask's largest pieces are mostly
            background regions, and trained as objects they teach the model masks that spread
            over several objects. 1.0 ignores none.
        ignore_frame_fraction: labels that would be trained but whose mask covers more than
            this fraction of its image's frame (the pixels of the outermost rows and columns)
            are kept as ignored instances instead: Free Mask's pieces of background reach the
            image's edges, objects seldom along much of them. With the rule on, the scan decodes
            the mask of every label scored from ``min_score``, so masks must be RLE. 1.0 ignores
            none.
        with_embeddings: also give each instance its ``embedding`` ((D, ) float32), read from
            the annotation's ``emb`` in either of its forms (base64 float16 or a list of
            numbers); an annotation without one is an error. Off by default: no loss uses them.
    """

    METAINFO = dict(classes=('object', ), palette=[(220, 20, 60)])

    def __init__(self, *args, min_score: float = 0.0, ignore_score: Optional[float] = None,
                 ignore_area: float = 0.0, ignore_image_fraction: float = 1.0,
                 ignore_frame_fraction: float = 1.0, with_embeddings: bool = False,
                 filter_cfg: dict = dict(filter_empty_gt=True), **kwargs) -> None:
        for name, fraction in (('ignore_image_fraction', ignore_image_fraction),
                               ('ignore_frame_fraction', ignore_frame_fraction)):
            if not 0 < fraction <= 1:
                raise UserInputError(f'{name} must be in (0, 1], got {fraction}')
        self.min_score = min_score
        self.ignore_score = min_score if ignore_score is None else min(ignore_score, min_score)
        self.ignore_area = ignore_area
        self.ignore_image_fraction = ignore_image_fraction
        self.ignore_frame_fraction = ignore_frame_fraction
        self.with_embeddings = with_embeddings
        super().__init__(*args, filter_cfg=filter_cfg, **kwargs)

    def full_init(self) -> None:
        super().full_init()
        # Dataloader workers are forked from this process. In a worker, Python's collector
        # writes to every object it inherited, so each worker copied the parent's heap page by
        # page. Frozen objects are left alone (the gc module's
        # advice for fork without exec); the cost is that those of them that later become
        # cyclic garbage are not collected.
        gc.collect()
        gc.freeze()

    def load_data_list(self) -> List[dict]:
        """One scan of the file: per image (in the file's order) its fields, ``spans``, the
        (K, 2) byte spans of its kept annotations in the file's order, and ``ignored``, which
        of them are ignored instances rather than trained ((K, ) bool)."""
        fields = {key: array(code) for key, code in (
            ('image_id', 'q'), ('category_id', 'q'), ('id', 'q'), ('start', 'q'), ('end', 'q'),
            ('x', 'd'), ('y', 'd'), ('w', 'd'), ('h', 'd'), ('area', 'd'), ('score', 'd'),
            ('over_frame', 'b'), ('ignore', 'b'))}
        summary = check_coco_file_scan(
            self.ann_file, on_annotation=lambda element: self._index_annotation(element, fields))
        return self._data_list(summary.images, summary.categories,
                               {k: np.frombuffer(v, dtype=np.int64 if v.typecode == 'q' else
                                                 np.float64 if v.typecode == 'd' else np.int8)
                                for k, v in fields.items()})

    def _index_annotation(self, element, fields: dict) -> None:
        ann, where = element.value, f'{self.ann_file}: annotation {element.value.get("id")}'
        if not isinstance(ann.get('bbox'), list):
            raise UserInputError(f'{where} has no bbox')
        score = ann.get('score', 1.0)
        if not isinstance(score, (int, float)) or isinstance(score, bool):
            raise UserInputError(f'{where} has a score that is not a number: {score!r}')
        if not ann.get('segmentation'):
            raise UserInputError(f'{where} has no segmentation')
        if self.with_embeddings:
            self._embedding(ann)  # a broken one fails now, not in a worker mid-epoch
        values = dict(image_id=ann['image_id'], category_id=ann['category_id'],
                      id=ann.get('id', -1), start=element.start, end=element.end,
                      x=ann['bbox'][0], y=ann['bbox'][1], w=ann['bbox'][2], h=ann['bbox'][3],
                      area=ann.get('area', 0), score=score, ignore=bool(ann.get('ignore')),
                      over_frame=score >= self.min_score and self._over_frame(ann, where))
        for key, value in values.items():
            fields[key].append(value)

    def _data_list(self, images: List[dict], categories: List[dict], ann: dict) -> List[dict]:
        classes = self.metainfo['classes']
        self.cat_ids = [c['id'] for c in categories if c['name'] in classes]
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        ids = ann['id'][ann['id'] >= 0]
        if self.ANN_ID_UNIQUE and len(np.unique(ids)) != len(ids):
            raise UserInputError(f'{self.ann_file}: annotation ids are not unique')
        # every annotation's image is listed (checked by the scan): its position in ``images``
        order = np.array([img['id'] for img in images], dtype=np.int64)
        by_id = np.argsort(order)
        slot = np.searchsorted(order[by_id], ann['image_id'])
        image = by_id[slot]  # position of each annotation's image in ``images``
        width = np.array([img['width'] for img in images], np.float64)[image]
        height = np.array([img['height'] for img in images], np.float64)[image]
        x, y, w, h = ann['x'], ann['y'], ann['w'], ann['h']
        # CocoDataset.parse_data_info's rules, on every annotation at once
        inter_w = np.maximum(0, np.minimum(x + w, width) - np.maximum(x, 0))
        inter_h = np.maximum(0, np.minimum(y + h, height) - np.maximum(y, 0))
        kept = ((ann['ignore'] == 0) & (inter_w * inter_h != 0) & (ann['area'] > 0)
                & (w >= 1) & (h >= 1) & np.isin(ann['category_id'], self.cat_ids)
                & (ann['score'] >= self.ignore_score))
        kept = np.flatnonzero(kept)
        kept = kept[np.argsort(image[kept], kind='stable')]  # by image, file order within
        bounds = np.searchsorted(image[kept], np.arange(len(images) + 1))
        spans = np.stack([ann['start'][kept], ann['end'][kept]], axis=1)
        ignored = self._ignored(ann['score'][kept], ann['area'][kept], (width * height)[kept],
                                ann['over_frame'][kept].astype(bool))
        data_list = []
        for i, img in enumerate(images):
            data_list.append(dict(
                img_path=os.path.join(self.data_prefix['img'], img['file_name']),
                img_id=img['id'], seg_map_path=None, height=img['height'], width=img['width'],
                spans=spans[bounds[i]:bounds[i + 1]].copy(),
                ignored=ignored[bounds[i]:bounds[i + 1]].copy()))
        return data_list

    def filter_data(self) -> List[dict]:
        """Training drops the images with no label to train (and, with ``min_size``, small
        ones)."""
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        min_size = self.filter_cfg.get('min_size', 0)
        empty_gt = self.filter_cfg.get('filter_empty_gt', False)
        return [info for info in self.data_list
                if min(info['width'], info['height']) >= min_size
                and not (empty_gt and info['ignored'].all())]  # none trained

    def get_data_info(self, idx: int) -> dict:
        """The image's fields and its ``instances``, read from the file."""
        data_info = super().get_data_info(idx)
        spans, ignored = data_info.pop('spans'), data_info.pop('ignored')
        data_info['instances'] = [self._instance(json.loads(text), bool(flag))
                                  for text, flag in zip(self._read(spans), ignored)]
        if self.return_classes:
            data_info.update(text=self.metainfo['classes'], caption_prompt=self.caption_prompt,
                             custom_entities=True)
        return data_info

    def _read(self, spans: np.ndarray) -> List[bytes]:
        if not len(spans):
            return []
        # opened per image (microseconds against the pipeline's milliseconds): no descriptor
        # to share between forked workers or copies of the dataset
        fd = os.open(self.ann_file, os.O_RDONLY)
        try:
            first, last = int(spans[0, 0]), int(spans[-1, 1])
            if 0 <= last - first <= 2 * int((spans[:, 1] - spans[:, 0]).sum()) + 4096:
                block = os.pread(fd, last - first, first)  # one image's labels lie together
                return [block[s - first:e - first] for s, e in spans.tolist()]
            return [os.pread(fd, e - s, s) for s, e in spans.tolist()]
        finally:
            os.close(fd)

    def _ignored(self, score: np.ndarray, area: np.ndarray, image_area: np.ndarray,
                 over_frame: np.ndarray) -> np.ndarray:
        """Which of the kept labels are ignored instances rather than trained, by score, area
        and whether they cover more of the image's frame than allowed (all (K, ) arrays)."""
        return ((score < self.min_score) | (area < self.ignore_area)
                | (area > self.ignore_image_fraction * image_area) | over_frame)

    def _over_frame(self, ann: dict, where: str) -> bool:
        """Whether the annotation's mask covers more than ``ignore_frame_fraction`` of its
        image's frame (:func:`frame_fractions`); never when the rule is off (1.0)."""
        if self.ignore_frame_fraction >= 1:
            return False
        rle = ann['segmentation']
        if not isinstance(rle, dict) or 'size' not in rle:
            raise UserInputError(f'{where}: ignore_frame_fraction needs masks as RLE (as Free '
                                 'Mask and the rounds write them), not polygons')
        height, width = rle['size']
        if height < 2 or width < 2:
            raise UserInputError(f'{where}: a {height} x {width} px mask has no frame for '
                                 'ignore_frame_fraction (it needs at least 2 x 2)')
        if isinstance(rle['counts'], list):
            rle = mask_utils.frPyObjects(rle, *rle['size'])
        return bool(frame_fractions(mask_utils.decode(rle)) > self.ignore_frame_fraction)

    def _instance(self, ann: dict, ignored: bool) -> dict:
        x1, y1, w, h = ann['bbox']
        score = float(ann.get('score', 1.0))
        ignored = ann.get('iscrowd', False) or ignored
        instance = dict(ignore_flag=1 if ignored else 0, bbox=[x1, y1, x1 + w, y1 + h],
                        bbox_label=self.cat2label[ann['category_id']],
                        mask=ann['segmentation'], score=score)
        if self.with_embeddings:
            instance['embedding'] = self._embedding(ann)
        return instance

    def _embedding(self, ann: dict) -> np.ndarray:
        try:
            return decode_embedding(ann['emb'])
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise UserInputError(f'{self.ann_file}: annotation {ann.get("id")} has no readable '
                                 'embedding ("emb")') from None
