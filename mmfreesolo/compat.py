"""The one place where torch, mmengine and mmcv are adapted to each other.

Applied once when ``mmfreesolo`` is imported (a config's ``custom_imports`` is enough):

* **Safe checkpoint loading.** torch >= 2.6 loads with ``weights_only=True``; mmengine's checkpoints
  then fail on the few Python types their message hub carries. Those types, and only those, are
  allow-listed; ``weights_only`` stays on, so a checkpoint can still never run code.
* **Distributed runs on CPU-only machines.** mmengine's launch code calls
  ``torch.cuda.set_device`` and builds DDP with ``device_ids``; without a GPU the gloo backend is
  used instead, the device is not set, and DDP wraps the CPU module without ``device_ids``. The
  command lines end the process group when they finish (:func:`finish_distributed`).
* **The ``mmfreesolo::`` config scope**, so that ``_base_ = 'mmfreesolo::x.py'`` resolves to the
  configs shipped in ``mmfreesolo/.mim/configs``, as ``mmdet::`` does for mmdet's.
"""
from __future__ import annotations

import functools
import os.path as osp
import pickle
from typing import Any, Callable

import numpy as np
import torch

_APPLIED = False
CONFIG_SCOPE = 'mmfreesolo::'


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
    """Allow-list the types mmengine/mmdet checkpoints hold for ``torch.load(weights_only=True)``."""
    from mmengine.logging import HistoryBuffer
    torch.serialization.add_safe_globals(
        [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')] + _numpy_globals())


def _without_cuda(init_fn: Callable) -> Callable:
    """Wrap one of mmengine's ``_init_dist_*`` so that it runs on gloo when there is no GPU."""

    @functools.wraps(init_fn)
    def init(backend: str, *args: Any, **kwargs: Any) -> None:
        if torch.cuda.is_available():
            return init_fn(backend, *args, **kwargs)
        set_device = torch.cuda.set_device
        torch.cuda.set_device = lambda device: None
        try:
            return init_fn('gloo', *args, **kwargs)
        finally:
            torch.cuda.set_device = set_device

    return init


def enable_cpu_distributed() -> None:
    """Let ``--launcher pytorch|slurm`` run on machines without a GPU (gloo, CPU DDP)."""
    from mmengine.dist import utils as dist_utils
    from mmengine.model import MMDistributedDataParallel

    for name in ('_init_dist_pytorch', '_init_dist_slurm'):
        setattr(dist_utils, name, _without_cuda(getattr(dist_utils, name)))

    ddp_init = MMDistributedDataParallel.__init__

    @functools.wraps(ddp_init)
    def __init__(self, module, *args: Any, **kwargs: Any) -> None:
        # mmengine always passes device_ids=[LOCAL_RANK]; DDP refuses them for a CPU module.
        first = next(module.parameters(), None)
        if first is not None and first.device.type == 'cpu':
            kwargs['device_ids'] = None
        ddp_init(self, module, *args, **kwargs)

    MMDistributedDataParallel.__init__ = __init__


def finish_distributed() -> None:
    """Destroy the default process group after a run that succeeded.

    mmengine never destroys the group it makes, and a process that exits with it alive can
    abort while gloo's threads are torn down with the interpreter ("terminate called without an
    active exception", pytorch/pytorch#179291): a finished job then reports a failure. Call it
    only on success, so that a rank that failed never waits for the others.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def register_config_scope() -> None:
    """Make ``_base_ = 'mmfreesolo::<path>'`` resolve to ``mmfreesolo/.mim/configs/<path>``.

    mmengine knows only a fixed list of scopes, wants a folder in the path (``mmdet::x/y.py``)
    and would tag the inherited dicts with a scope of their own. Our configs are mmdet configs
    (our modules register into mmdet's registries), so they are read with scope ``mmdet``.
    """
    from mmengine.config import Config

    get_cfg_path = Config._get_cfg_path
    if getattr(get_cfg_path, '_mmfreesolo', False):
        return

    def _get_cfg_path(cfg_path: str, filename: str):
        if not cfg_path.startswith(CONFIG_SCOPE):
            return get_cfg_path(cfg_path, filename)
        path = osp.join(configs_root(), cfg_path[len(CONFIG_SCOPE):])
        if not osp.isfile(path):
            raise FileNotFoundError(f'{cfg_path}: no such config in {configs_root()}')
        return path, 'mmdet'

    _get_cfg_path._mmfreesolo = True
    Config._get_cfg_path = staticmethod(_get_cfg_path)


def configs_root() -> str:
    """The folder that ``mmfreesolo::`` config paths are relative to."""
    return osp.join(osp.dirname(osp.abspath(__file__)), '.mim', 'configs')


def apply() -> None:
    """Apply every adaptation once; later calls do nothing."""
    global _APPLIED
    if _APPLIED:
        return
    allow_mmengine_checkpoint_types()
    enable_cpu_distributed()
    register_config_scope()
    _APPLIED = True
