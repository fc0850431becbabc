"""Foreign backbone checkpoints (DenseCL, MoCo, mmpretrain, torchvision) as the backbone keys
that mmdet's ResNet and :class:`TorchvisionMobileNetV2` share, and written as mmdet checkpoints."""
from __future__ import annotations

from typing import Dict

import torch

from .reading import read_state_dict, resolve_checkpoint_path

# Prefixes under which self-supervised and DDP checkpoints keep their backbone weights
# (DenseCL, MoCo's query encoder, mmselfsup/mmpretrain models, DistributedDataParallel).
_BACKBONE_PREFIXES = ('module.', 'encoder_q.', 'backbone.', 'encoder.')
# Weights that are not the backbone's: classifier and projection heads, MoCo's queue.
_HEAD_PREFIXES = ('fc.', 'classifier.', 'head.', 'neck.', 'queue', 'projector.', 'predictor.')


def backbone_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The backbone weights of a DenseCL / MoCo / torchvision-style checkpoint, keys as in
    torchvision (which mmdet's ResNet and :class:`TorchvisionMobileNetV2` share)."""
    state = read_state_dict(resolve_checkpoint_path(path))
    converted = {}
    for key, value in state.items():
        while key.startswith(_BACKBONE_PREFIXES):
            key = key.split('.', 1)[1]
        if not key.startswith(_HEAD_PREFIXES):
            converted[key] = value
    return converted


def save_backbone_checkpoint(state: Dict[str, torch.Tensor], path: str, **meta) -> None:
    """Write backbone weights as an mmdet checkpoint (``backbone.`` keys), which mmdet configs
    load with ``load_from`` and this project's configs with ``BackboneCheckpoint``."""
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in state.items()}, 'meta': meta},
               path)
