"""torchvision's MobileNetV2 as an mmdet backbone, so its ImageNet file loads key for key."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn
from torchvision.models import mobilenet_v2


@MODELS.register_module()
class TorchvisionMobileNetV2(BaseModule):
    """The ``features`` of torchvision's MobileNetV2, returning chosen stages.

    Stage index -> (stride, channels): 1 -> (2, 16), 3 -> (4, 24), 6 -> (8, 32), 10 -> (16, 64),
    13 -> (16, 96), 16 -> (32, 160), 17 -> (32, 320), 18 -> (32, 1280; the last 1x1 expansion).

    Args:
        out_indices: stages whose outputs are returned, in order.
        frozen_stages: stages 0..frozen_stages get no gradient (-1: none).
        norm_eval: keep batch norm in eval mode while training.
        checkpoint: torchvision-style weights loaded strictly by ``init_weights`` (a path or
            ``package://<module>/<file>``).
    """
    arch_channels = {1: 16, 3: 24, 6: 32, 10: 64, 13: 96, 16: 160, 17: 320, 18: 1280}

    def __init__(self,
                 out_indices: Sequence[int] = (6, 13, 18),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 checkpoint: Optional[str] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.features = mobilenet_v2(weights=None).features
        if not all(0 <= i < len(self.features) for i in out_indices):
            raise ValueError(f'out_indices must lie in [0, {len(self.features) - 1}]: '
                             f'{out_indices}')
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.checkpoint = checkpoint
        self._freeze_stages()

    def init_weights(self) -> None:
        if self.checkpoint:
            from ...checkpoints import load_backbone_weights
            load_backbone_weights(self, self.checkpoint)
        else:
            super().init_weights()

    def _freeze_stages(self) -> None:
        for stage in self.features[:self.frozen_stages + 1]:
            stage.eval()
            stage.requires_grad_(False)

    def train(self, mode: bool = True) -> 'TorchvisionMobileNetV2':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outs = []
        for i, stage in enumerate(self.features[:max(self.out_indices) + 1]):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
