"""``ClassAgnosticCocoMetric``: mmdet's CocoMetric, scored with ``useCats = 0``."""
from __future__ import annotations

import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmengine.fileio import load
from mmengine.logging import MMLogger

from ..fileio.coco_files import check_coco_file
from .class_agnostic_eval import IOU_TYPES, evaluate_class_agnostic, load_coco_gt


@METRICS.register_module()
class ClassAgnosticCocoMetric(CocoMetric):
    """COCO AP/AR of instance masks and boxes, every category counted as one "object".

    Reuses CocoMetric for collecting predictions and writing them as COCO results; only the
    scoring differs. Use it as ``val_evaluator``/``test_evaluator`` of any config::

        val_evaluator = dict(type='ClassAgnosticCocoMetric', ann_file=..., metric=['segm'])

    Keys of the result: ``agnostic/{segm,bbox}_{mAP,mAP_50,...,AR@100,...}``.
    """
    default_prefix = 'agnostic'

    def __init__(self,
                 metric: Union[str, Sequence[str]] = ('segm', 'bbox'),
                 ann_file: Optional[str] = None,
                 **kwargs) -> None:
        if ann_file is not None and osp.isfile(ann_file):
            check_coco_file(ann_file)  # CocoMetric would fail deep in pycocotools instead
        metric = [metric] if isinstance(metric, str) else list(metric)
        super().__init__(metric=metric, ann_file=ann_file, **kwargs)
        unsupported = set(self.metrics) - set(IOU_TYPES)
        if unsupported:
            raise ValueError(f'ClassAgnosticCocoMetric evaluates {IOU_TYPES}, not {unsupported}')

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        tmp_dir = None
        if self.outfile_prefix is None:
            tmp_dir = tempfile.TemporaryDirectory()
            outfile_prefix = osp.join(tmp_dir.name, 'results')
        else:
            outfile_prefix = self.outfile_prefix
        if self._coco_api is None:
            self._coco_api = load_coco_gt(self.gt_to_coco_json(gts, outfile_prefix))
        # Categories do not count; predictions just need some ground-truth category id.
        self.cat_ids = self._agnostic_cat_ids()
        result_files = self.results2json(preds, outfile_prefix)
        eval_results: Dict[str, float] = OrderedDict()
        if self.format_only:
            logger.info(f'results are saved in {osp.dirname(outfile_prefix)}')
            return eval_results
        img_ids = sorted({pred['img_id'] for pred in preds})
        for iou_type in self.metrics:
            detections: List[dict] = load(result_files[iou_type])
            summary: List[str] = []
            stats = evaluate_class_agnostic(self._coco_api, detections, iou_type, img_ids,
                                            log=summary)
            logger.info(f'class-agnostic {iou_type} evaluation:\n' + ''.join(summary))
            for name, value in stats.items():
                eval_results[f'{iou_type}_{name}'] = round(value, 4)
        if tmp_dir is not None:
            tmp_dir.cleanup()
        return eval_results

    def _agnostic_cat_ids(self) -> List[int]:
        classes = list(self.dataset_meta['classes'])
        named = self._coco_api.getCatIds(catNms=classes)
        if len(named) == len(classes):
            return named
        return [min(self._coco_api.getCatIds(), default=1)] * len(classes)
