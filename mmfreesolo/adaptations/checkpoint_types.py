"""Safe checkpoint loading: torch >= 2.6 loads with ``weights_only=True``, and mmengine's
checkpoints then fail on the few Python types their message hub carries. Those types, and only
those, are allow-listed; ``weights_only`` stays on, so a checkpoint can never run code."""
from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import torch


def _history_buffer_getattr(owner: Any, name: str) -> Any:
    """``getattr`` as a checkpoint may use it: only HistoryBuffer's statistics methods.

    mmengine pickles ``HistoryBuffer._statistics_methods`` (e.g. ``{'min': HistoryBuffer.min}``)
    as ``getattr(HistoryBuffer, 'min')``; anything else is refused.
    """
    from mmengine.logging import HistoryBuffer
    if owner is HistoryBuffer and not name.startswith('_') and callable(
            getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refused GLOBAL builtins.getattr({owner!r}, {name!r}): a checkpoint may only name '
        'HistoryBuffer statistics methods this way')


def _numpy_globals() -> list:
    """The numpy callables that pickle arrays, dtypes and scalars, for numpy 1.x and 2.x."""
    found = [np.ndarray, np.dtype]
    for module_name in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            module = __import__(module_name, fromlist=['_reconstruct'])
        except ImportError:
            continue
        for name in ('_reconstruct', 'scalar'):
            if hasattr(module, name):
                found.append((getattr(module, name), f'{module_name}.{name}'))
    # dtypes pickle as their class in numpy >= 1.25 (numpy.dtypes.Float64DType, ...)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        found.extend(getattr(dtypes, name) for name in dir(dtypes)
                     if name.endswith('DType') and isinstance(getattr(dtypes, name), type))
    return found


def allow_mmengine_checkpoint_types() -> None:
    """Allow-list the types mmengine/mmdet checkpoints hold, for ``torch.load(weights_only=True)``.
    """
    from mmengine.logging import HistoryBuffer
    torch.serialization.add_safe_globals(
        [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')] + _numpy_globals())
