"""Each pseudo-label's ``score`` carried from the dataset to ``gt_instances.scores``, beside
its mask, for heads that train towards it."""
from __future__ import annotations

import numpy as np
from mmdet.datasets.transforms import LoadAnnotations, PackDetInputs
from mmdet.registry import TRANSFORMS

from ...errors import UserInputError


@TRANSFORMS.register_module()
class LoadScoredAnnotations(LoadAnnotations):
    """mmdet's ``LoadAnnotations``, plus ``gt_scores`` ((N, ) float32): each instance's
    ``score`` (``FreeMaskLabelDataset`` gives every instance one; 1.0 where an instance has
    none), in the order of ``gt_bboxes`` and ``gt_masks``."""

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        results['gt_scores'] = np.array(
            [instance.get('score', 1.0) for instance in results.get('instances', [])],
            dtype=np.float32)
        return results


@TRANSFORMS.register_module()
class PackScoredDetInputs(PackDetInputs):
    """mmdet's ``PackDetInputs``, plus ``gt_scores`` packed as ``gt_instances.scores`` (and
    ``ignored_instances.scores``).

    Transforms between the two that drop instances (a crop, a filter) do not know
    ``gt_scores``: a count that no longer matches the boxes is an error naming the key, not a
    silent shift of every score onto the wrong mask.
    """

    mapping_table = dict(PackDetInputs.mapping_table, gt_scores='scores')

    def transform(self, results: dict) -> dict:
        if 'gt_scores' not in results:
            raise UserInputError('PackScoredDetInputs needs gt_scores: load the annotations '
                                 'with LoadScoredAnnotations')
        num_scores = len(results['gt_scores'])
        for key in ('gt_bboxes', 'gt_masks'):
            if key in results and len(results[key]) != num_scores:
                raise UserInputError(
                    f'{results.get("img_path")}: {num_scores} gt_scores for '
                    f'{len(results[key])} {key}; a transform between LoadScoredAnnotations and '
                    'PackScoredDetInputs dropped or added instances without their scores')
        return super().transform(results)
