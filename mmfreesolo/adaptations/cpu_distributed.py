"""Distributed runs on machines without a GPU: mmengine's launch code calls
``torch.cuda.set_device`` and builds DDP with ``device_ids``; without a GPU the gloo backend is
used instead, the device is not set, and DDP wraps the CPU module without ``device_ids``."""
from __future__ import annotations

import functools
from typing import Any, Callable

import torch


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
    """End the process group after a run that succeeded, while the interpreter is fully alive.

    mmengine never destroys the group it makes, and a process that exits with gloo's threads
    still holding work (tensors with Python references) can abort while the interpreter is torn
    down ("terminate called without an active exception", pytorch/pytorch#179291): a finished job
    then reports a failure. So: a barrier (no rank leaves while a peer still talks to it), the
    group destroyed, and the finished Runner's DDP wrapper, which keeps the group's C++ backend
    alive, collected now rather than at exit. The caller must hold no Runner any more. Call it
    only on success, so that a rank that failed never waits for the others.
    """
    import gc

    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
        gc.collect()
