"""A stage of the pipeline as a submitit job: one package function with its arguments, run in
every task of a Slurm job, requeued on timeout or preemption, and continued where it stopped."""
from __future__ import annotations

import os
from typing import Callable

import submitit
import torch


class PackageJob(submitit.helpers.Checkpointable):
    """``function(**kwargs)`` in a submitit job.

    With ``distributed`` and several tasks, the tasks join one process group through
    ``launcher='slurm'`` (a rendezvous port derived from the job id). Torch uses
    ``SLURM_CPUS_PER_TASK`` threads. Errors stay exceptions, so that submitit records them as
    the job's error.

    Checkpointable: on timeout or preemption submitit requeues the job, which calls the same
    function again, and every stage continues from what it had finished (training, submitted
    with ``resume='auto'``, from the last checkpoint in its work dir; Free Mask from its written
    chunks; self-training from its finished stages).
    """

    def __init__(self, function: Callable, distributed: bool = False, **kwargs) -> None:
        self.function = function
        self.distributed = distributed
        self.kwargs = kwargs

    def __call__(self):
        env = submitit.JobEnvironment()
        threads = os.environ.get('SLURM_CPUS_PER_TASK')
        if threads:
            torch.set_num_threads(int(threads))
        kwargs = dict(self.kwargs)
        if self.distributed and env.num_tasks > 1 and env.name() == 'slurm':
            os.environ.setdefault('MASTER_PORT', str(20000 + int(env.raw_job_id) % 20000))
            kwargs['launcher'] = 'slurm'
        return self.function(**kwargs)

    def __repr__(self) -> str:
        arguments = ', '.join(f'{k}={v!r}' for k, v in self.kwargs.items())
        return f'{self.function.__module__}.{self.function.__name__}({arguments})'
