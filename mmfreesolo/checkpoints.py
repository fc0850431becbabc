"""Reading checkpoints safely, and checking that one fits a model before it is used."""
from __future__ import annotations

import os.path as osp
import pickle
import zipfile
from typing import Dict

import torch
from torch import nn

from .errors import UserInputError


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
