"""A COCO dataset of Free Mask pseudo-labels, filtered by each mask's ``score``."""
from __future__ import annotations

import binascii
from typing import List, Union

import numpy as np
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

from ..errors import UserInputError
from ..pseudo_labels.label_file import decode_embedding


@DATASETS.register_module()
class FreeMaskLabelDataset(CocoDataset):
    """CocoDataset over a pseudo-label file written by ``tools/free_mask.py`` (or by a
    self-training round): one class, "object".

    Every instance also carries ``score``, the label's confidence (1.0 where the file has none);
    a score that is not a number is an error naming the annotation. Images without masks are
    dropped for training by ``filter_cfg=dict(filter_empty_gt=True)``, the default here.

    Args:
        min_score: labels scored below this are dropped. Free Mask's score separates good
            masks from background blobs (on generated scenes, 47 % of the labels scored >= 0.7
            overlap an object with IoU > 0.5, 3 % of those scored < 0.65), so a stricter
            threshold for training than for writing the file trades recall for clean targets.
        with_embeddings: also give each instance its ``embedding`` ((D, ) float32), read from
            the annotation's ``emb`` in either of its forms (base64 float16 or a list of
            numbers); an annotation without one is an error. Off by default: no loss uses them,
            and the data list of a COCO-scale file would carry them in every worker.
    """

    METAINFO = dict(classes=('object', ), palette=[(220, 20, 60)])

    def __init__(self, *args, min_score: float = 0.0, with_embeddings: bool = False,
                 filter_cfg: dict = dict(filter_empty_gt=True), **kwargs) -> None:
        self.min_score = min_score
        self.with_embeddings = with_embeddings
        super().__init__(*args, filter_cfg=filter_cfg, **kwargs)

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        data_info = super().parse_data_info(raw_data_info)
        # CocoDataset drops some annotations (ignored, empty, other categories) and copies the
        # kept ones' segmentation object into 'mask': that object identifies the annotation.
        by_segmentation = {
            id(ann['segmentation']): ann
            for ann in raw_data_info['raw_ann_info'] if ann.get('segmentation')
        }
        kept = []
        for instance in data_info['instances']:
            ann = by_segmentation.get(id(instance.get('mask')))
            if ann is None:
                raise UserInputError(f'{self.ann_file}: an annotation of image '
                                     f'{data_info["img_path"]} has no segmentation')
            score = ann.get('score', 1.0)
            if not isinstance(score, (int, float)) or isinstance(score, bool):
                raise UserInputError(f'{self.ann_file}: annotation {ann.get("id")} has a score '
                                     f'that is not a number: {score!r}')
            if score < self.min_score:
                continue
            instance['score'] = float(score)
            if self.with_embeddings:
                instance['embedding'] = self._embedding(ann)
            kept.append(instance)
        data_info['instances'] = kept
        return data_info

    def _embedding(self, ann: dict) -> np.ndarray:
        try:
            return decode_embedding(ann['emb'])
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise UserInputError(f'{self.ann_file}: annotation {ann.get("id")} has no readable '
                                 'embedding ("emb")') from None

    def filter_data(self) -> List[dict]:
        """CocoDataset's filter, then (for training) also the images whose labels were all
        below ``min_score``: CocoDataset counts the file's annotations, not the kept ones."""
        data_list = super().filter_data()
        if self.test_mode or not self.filter_cfg or not self.filter_cfg.get('filter_empty_gt'):
            return data_list
        return [info for info in data_list if info['instances']]
