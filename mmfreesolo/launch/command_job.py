"""One of mmfreesolo's command lines as a submitit job: run in every task of a Slurm job,
requeued on timeout or preemption, and continued where it stopped."""
from __future__ import annotations

import importlib
import os
from typing import Sequence

import submitit
import torch

# Commands that run one process per task and join them with `--launcher slurm`.
DISTRIBUTED = ('train', 'self_train')
COMMANDS = DISTRIBUTED + ('free_mask', 'merge_free_mask')


class CommandJob(submitit.helpers.Checkpointable):
    """``mmfreesolo.cli.<command>`` with ``argv``, in a submitit job.

    Every task of the job runs the command; with several tasks, training and self-training
    join them through ``--launcher slurm`` (a rendezvous port derived from the job id).
    Torch uses ``SLURM_CPUS_PER_TASK`` threads. A :class:`~mmfreesolo.errors.UserInputError`
    is raised, not turned into an exit status, so that submitit records it as the job's error.

    Checkpointable: on timeout or preemption submitit requeues the job, which runs the same
    command again, and every command continues from what it had finished (training, submitted
    with ``--resume``, from the last checkpoint in its work dir; Free Mask from its written
    chunks; self-training from its finished stages).
    """

    def __init__(self, command: str, argv: Sequence[str]) -> None:
        if command not in COMMANDS:
            raise ValueError(f'command must be one of {COMMANDS}, got {command!r}')
        self.command = command
        self.argv = list(argv)

    def __call__(self) -> None:
        env = submitit.JobEnvironment()
        threads = os.environ.get('SLURM_CPUS_PER_TASK')
        if threads:
            torch.set_num_threads(int(threads))
        argv = list(self.argv)
        if self.command in DISTRIBUTED and env.num_tasks > 1 and env.name() == 'slurm':
            os.environ.setdefault('MASTER_PORT', str(20000 + int(env.raw_job_id) % 20000))
            argv += ['--launcher', 'slurm']
        main = importlib.import_module(f'mmfreesolo.cli.{self.command}').main
        main.__wrapped__(argv)  # undecorated: errors stay exceptions; the outputs are files

    def __repr__(self) -> str:
        return f'mmfreesolo.cli.{self.command} {" ".join(self.argv)}'
