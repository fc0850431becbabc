"""Foreign backbone checkpoints (DenseCL, MoCo, mmpretrain, torchvision) as the backbone keys
that mmdet's ResNet and :class:`TorchvisionMobileNetV2` share, and written as mmdet checkpoints."""
from __future__ import annotations

import os
from typing import Dict

import torch

from .reading import read_state_dict, resolve_checkpoint_path

# Sections under which self-supervised checkpoints keep their backbone, beside other networks
# (mmpretrain's DenseCL: ``backbone.`` beside the momentum encoder ``encoder_k.``; MoCo:
# ``encoder_q.`` beside ``encoder_k.``): when one is there, only its weights are the backbone.
_BACKBONE_SECTIONS = ('backbone.', 'encoder_q.', 'encoder.')
# Weights that are not the backbone's in a torchvision-style file: classifier and heads.
_HEAD_PREFIXES = ('fc.', 'classifier.', 'head.', 'neck.', 'queue', 'projector.', 'predictor.')


def backbone_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The backbone weights of a DenseCL / MoCo / mmpretrain / torchvision-style checkpoint,
    keys as in torchvision (which mmdet's ResNet and :class:`TorchvisionMobileNetV2` share)."""
    state = read_state_dict(resolve_checkpoint_path(path))
    section = next((p for p in _BACKBONE_SECTIONS if any(k.startswith(p) for k in state)), None)
    while section is not None:
        state = {k[len(section):]: v for k, v in state.items() if k.startswith(section)}
        section = next((p for p in _BACKBONE_SECTIONS if all(k.startswith(p) for k in state)),
                       None)
    return {k: v for k, v in state.items() if not k.startswith(_HEAD_PREFIXES)}


def save_backbone_checkpoint(state: Dict[str, torch.Tensor], path: str, **meta) -> None:
    """Write backbone weights as an mmdet checkpoint (``backbone.`` keys), which mmdet configs
    load with ``load_from`` and this project's configs with ``BackboneCheckpoint``; atomically,
    so that a file there is whole."""
    tmp = f'{path}.tmp.{os.getpid()}'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in state.items()}, 'meta': meta},
               tmp)
    os.replace(tmp, path)


def export_backbone(src: str, dst: str, **meta) -> int:
    """The backbone of checkpoint ``src`` written to ``dst`` as an mmdet checkpoint; returns the
    number of tensors written."""
    state = backbone_state_dict(src)
    save_backbone_checkpoint(state, dst, converted_from=src, **meta)
    return len(state)
