"""An ``init_cfg`` that loads a self-supervised backbone checkpoint strictly."""
from __future__ import annotations

from mmdet.registry import WEIGHT_INITIALIZERS
from torch import nn

from ...checkpoints import load_backbone_weights, resolve_checkpoint_path


@WEIGHT_INITIALIZERS.register_module()
class BackboneCheckpoint:
    """``init_cfg=dict(type='BackboneCheckpoint', checkpoint=PATH)`` on a backbone.

    Reads DenseCL / MoCo / torchvision-style files (``state_dict``, ``module.``, ``encoder_q.``
    prefixes) with ``weights_only=True`` and loads them strictly: a missing or misshapen weight,
    or a ResNet of another depth, is an error naming the file, where mmengine's ``Pretrained``
    only logs a warning and leaves the weights random.
    """

    def __init__(self, checkpoint: str) -> None:
        self.checkpoint = checkpoint

    def __call__(self, module: nn.Module) -> None:
        load_backbone_weights(module, resolve_checkpoint_path(self.checkpoint))

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: loaded {self.checkpoint}'
