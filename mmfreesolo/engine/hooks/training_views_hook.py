"""Pictures of what FreeSOLO trains on: each image's weak view beside its strong view, after the
data preprocessor's copy-paste, with their pseudo-labels."""
from __future__ import annotations

import copy
import os
import os.path as osp
from typing import List, Optional

import cv2
import torch
from mmdet.registry import HOOKS
from mmdet.structures.bbox import BaseBoxes
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...visualization.stage_pictures import draw_panel, side_by_side


@HOOKS.register_module()
class TrainingViewsHook(Hook):
    """For the first ``num_iters`` iterations, write ``<out_dir>/iter_<n>_<k>.png``: image k's
    weak view | its strong view (augmented, then pasted into), each with its labels.

    The pictures show the very views of the step: the data preprocessor's
    ``training_views`` (strong view, copy-paste) is replayed on a copy of the batch from the
    same random state, which is then restored.

    Args:
        num_iters: how many iterations to draw.
        out_dir: default ``<work_dir>/training_views``.
    """
    priority = 'LOW'

    def __init__(self, num_iters: int = 1, out_dir: Optional[str] = None) -> None:
        self.num_iters = num_iters
        self.out_dir = out_dir

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None
                          ) -> None:
        if runner.iter >= self.num_iters or not is_main_process() or data_batch is None:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        training_views = getattr(model.data_preprocessor, 'training_views', None)
        data = copy.deepcopy(data_batch)
        if training_views is not None:
            cuda = [torch.cuda.current_device()] if torch.cuda.is_available() else []
            with torch.random.fork_rng(devices=cuda):
                data = training_views(data)
        if not isinstance(data['inputs'], dict):
            return
        out_dir = self.out_dir or osp.join(runner.work_dir, 'training_views')
        os.makedirs(out_dir, exist_ok=True)
        for k, path in enumerate(self.draw(data, out_dir, runner.iter)):
            runner.logger.info(f'training views of image {k} of iteration {runner.iter}: '
                               f'{path}')

    @staticmethod
    def draw(data: dict, out_dir: str, iteration: int) -> List[str]:
        """Write one picture per image of a two-view batch; their paths."""
        inputs, samples = data['inputs'], data['data_samples']
        branches = list(inputs)
        written = []
        for k in range(len(inputs[branches[0]])):
            panels = []
            for branch in branches:
                image = inputs[branch][k].permute(1, 2, 0).cpu().numpy()[..., ::-1]  # BGR -> RGB
                gt = samples[branch][k].gt_instances
                masks = gt.masks.masks.astype(bool)
                boxes = gt.bboxes.tensor if isinstance(gt.bboxes, BaseBoxes) else gt.bboxes
                panels.append(draw_panel(image.copy(), f'{branch} view: {len(masks)} labels',
                                         masks, boxes.cpu().numpy().reshape(-1, 4)))
            path = osp.join(out_dir, f'iter_{iteration + 1}_{k}.png')
            cv2.imwrite(path, side_by_side(panels)[..., ::-1])
            written.append(path)
        return written
