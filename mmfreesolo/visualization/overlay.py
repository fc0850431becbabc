"""Instance overlays drawn with mmdet's DetLocalVisualizer."""
from __future__ import annotations

import warnings
from typing import Optional

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmdet.visualization import DetLocalVisualizer
from mmengine.structures import InstanceData

_VISUALIZER = 'mmfreesolo_overlay'


def draw_instances(image: np.ndarray,
                   masks: np.ndarray,
                   boxes: Optional[np.ndarray] = None,
                   scores: Optional[np.ndarray] = None,
                   score_thr: float = 0.0,
                   names: bool = True) -> np.ndarray:
    """Draw class-agnostic instances on an image.

    Args:
        image: (H, W, 3) uint8 RGB.
        masks: (N, H, W) bool.
        boxes: (N, 4) XYXY; drawn when given.
        scores: (N, ) shown beside each instance when given (drawn as predictions).
        names: False: no "object" label written on each instance (crowded pictures).

    Returns:
        (H, W, 3) uint8 RGB with the instances drawn.
    """
    with warnings.catch_warnings():  # "has been created": the one overlay visualizer, reused
        warnings.simplefilter('ignore', UserWarning)
        visualizer = DetLocalVisualizer.get_instance(_VISUALIZER, alpha=0.5, line_width=1)
    # mmdet colours instances by label: one "object" label per instance gives each its colour
    visualizer.dataset_meta = dict(classes=('object', ) * max(len(masks), 1), palette='random')
    instances = InstanceData()
    instances.masks = torch.as_tensor(np.asarray(masks, dtype=bool))
    instances.labels = torch.arange(len(masks), dtype=torch.long)
    if not names:
        instances.label_names = [''] * len(masks)
    if boxes is not None:
        instances.bboxes = torch.as_tensor(np.asarray(boxes, dtype=np.float32)).reshape(-1, 4)
    sample = DetDataSample()
    if scores is None:
        sample.gt_instances = instances
    else:
        instances.scores = torch.as_tensor(np.asarray(scores, dtype=np.float32))
        sample.pred_instances = instances
    with warnings.catch_warnings():  # a box or mask that touches the image's edge is no news
        warnings.filterwarnings('ignore', message='Warning: The (bbox|polygon) is out of bounds')
        visualizer.add_datasample('overlay', image, sample, draw_gt=scores is None,
                                  draw_pred=scores is not None, show=False,
                                  pred_score_thr=score_thr)
    return visualizer.get_image()
