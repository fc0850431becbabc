"""Checking that a checkpoint fits a model before it is used: mmengine only warns about missing
or mis-shaped weights and goes on with random ones."""
from __future__ import annotations

from typing import Dict, Optional

import torch
from torch import nn

from ..errors import UserInputError
from .conversion import backbone_state_dict

# (block type, blocks per stage) -> ResNet depth
_RESNET_DEPTHS = {('basic', (2, 2, 2, 2)): 18, ('basic', (3, 4, 6, 3)): 34,
                  ('bottleneck', (3, 4, 6, 3)): 50, ('bottleneck', (3, 4, 23, 3)): 101,
                  ('bottleneck', (3, 8, 36, 3)): 152}


def check_state_dict_fits(model: nn.Module, state: Dict[str, torch.Tensor], source: str,
                          target: str) -> None:
    """Raise :class:`UserInputError` unless ``state`` has every weight of ``model``, same shapes.

    mmengine only warns about missing or mis-shaped keys and goes on with random weights, which
    turns a checkpoint of another architecture into silently meaningless results.
    """
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    mismatched = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if not missing and not mismatched:
        return
    problems = []
    if missing:
        problems.append(f'{len(missing)} of its {len(expected)} weights are missing '
                        f'(e.g. {missing[0]})')
    if mismatched:
        k = mismatched[0]
        problems.append(f'{len(mismatched)} have another shape (e.g. {k}: '
                        f'{tuple(state[k].shape)} in the checkpoint, '
                        f'{tuple(expected[k].shape)} in the model)')
    raise UserInputError(f'checkpoint {source} does not fit the model of {target}: '
                         + '; '.join(problems))


def resnet_depth(state: Dict[str, torch.Tensor]) -> Optional[int]:
    """The depth of the ResNet whose torchvision-style weights ``state`` holds, if it is one."""
    blocks = []
    for stage in range(1, 5):
        indices = {int(k.split('.')[1]) for k in state if k.startswith(f'layer{stage}.')}
        if not indices:
            return None
        blocks.append(max(indices) + 1)
    kind = 'bottleneck' if 'layer1.0.conv3.weight' in state else 'basic'
    return _RESNET_DEPTHS.get((kind, tuple(blocks)))


def load_backbone_weights(backbone: nn.Module, path: str) -> None:
    """Load a foreign backbone checkpoint into an mmdet backbone, strictly.

    Every weight of the backbone must be in the checkpoint with the same shape. Loading a
    ResNet-50 checkpoint into a ResNet-101 silently gives masks stuck at the image border with
    lenient loading; here it is an error naming both depths.
    """
    state = backbone_state_dict(path)
    expected_depth = getattr(backbone, 'depth', None)
    found_depth = resnet_depth(state)
    if expected_depth is not None and found_depth is not None and found_depth != expected_depth:
        raise UserInputError(f'checkpoint {path} holds a ResNet-{found_depth}, but the config\'s '
                             f'backbone is a ResNet-{expected_depth}')
    check_state_dict_fits(backbone, state, path, f'{type(backbone).__name__} backbone')
    backbone.load_state_dict(state, strict=False)
