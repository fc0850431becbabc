"""Submitting Free Mask, training and self-training to Slurm through submitit's AutoExecutor.

Free Mask is a job array with one task per unfinished shard, and a merge job that runs once the
whole array has succeeded (``--dependency=afterok``; cancelled if a shard fails). Training and
self-training are one job of ``nodes x tasks_per_node`` tasks. Every job is a
:class:`PackageJob`: requeued on timeout or preemption, it continues where it stopped.
"""
from __future__ import annotations

import os.path as osp
import re
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import submitit
from submitit.slurm.slurm import _make_sbatch_string

from ..engine.free_mask_labelling import label_with_free_mask
from ..errors import UserInputError
from ..pseudo_labels.label_file import label_file_complete
from ..pseudo_labels.shards import merge_shards, unfinished_shards
from .package_job import PackageJob

# Final states of a job that succeeded: Slurm's, and that of submitit's local executor.
DONE = ('COMPLETED', 'FINISHED')


@dataclass
class SlurmResources:
    """What each job asks Slurm for (``None``: the cluster's default)."""
    partition: Optional[str] = None
    nodes: int = 1
    tasks_per_node: int = 1
    gpus_per_node: int = 0
    cpus_per_task: int = 4
    mem_gb: Optional[float] = None
    timeout_min: int = 24 * 60
    array_parallelism: int = 256
    additional: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ('nodes', 'tasks_per_node', 'cpus_per_task', 'timeout_min',
                     'array_parallelism'):
            if getattr(self, name) < 1:
                raise UserInputError(f'--{name.replace("_", "-")} must be positive')
        if self.gpus_per_node < 0:
            raise UserInputError('--gpus-per-node must not be negative')


@dataclass
class PlannedJob:
    """One submission: a single job, or an array when ``tasks`` holds several commands."""
    name: str
    tasks: List[PackageJob]
    resources: SlurmResources
    after: Optional[int] = None  # index of the planned job that must succeed first


def executor_parameters(job: PlannedJob, dependency: Optional[str] = None) -> dict:
    """The job's resources as AutoExecutor parameters (generic names, Slurm's prefixed)."""
    r = job.resources
    additional = dict(r.additional, requeue=True)
    if dependency:
        additional.update(dependency=dependency, **{'kill-on-invalid-dep': 'yes'})
    params = dict(name=job.name, nodes=r.nodes, tasks_per_node=r.tasks_per_node,
                  cpus_per_task=r.cpus_per_task, timeout_min=r.timeout_min,
                  slurm_partition=r.partition, slurm_array_parallelism=r.array_parallelism,
                  slurm_additional_parameters=additional,
                  slurm_setup=['export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}'])
    if r.gpus_per_node:
        params['gpus_per_node'] = r.gpus_per_node
    if r.mem_gb is not None:
        params['mem_gb'] = r.mem_gb
    return params


def make_executor(folder: str, job: PlannedJob, cluster: Optional[str] = None,
                  dependency: Optional[str] = None) -> submitit.AutoExecutor:
    """An AutoExecutor with the job's resources (``cluster``: submitit's choice by default,
    'slurm', 'local' or 'debug')."""
    executor = submitit.AutoExecutor(folder=osp.join(folder, '%j'), cluster=cluster)
    executor.update_parameters(**executor_parameters(job, dependency))
    return executor


def free_mask_plan(free_mask: dict, num_shards: int,
                   resources: SlurmResources) -> List[PlannedJob]:
    """The array of unfinished shards of Free Mask (``free_mask``: the arguments of
    :func:`~mmfreesolo.engine.free_mask_labelling.label_with_free_mask`), then the merge (only
    the merge when every shard is written; nothing when the output is complete)."""
    out = free_mask['out']
    if label_file_complete(out):
        return []
    merge = PlannedJob('free-mask-merge', [PackageJob(merge_shards, out=out, remove=True)],
                       SlurmResources(partition=resources.partition, cpus_per_task=1,
                                      timeout_min=60, additional=resources.additional))
    pending = unfinished_shards(out, num_shards)
    if not pending:
        return [merge]
    shards = [PackageJob(label_with_free_mask,
                         **dict(free_mask, progress=False, shard_id=k, num_shards=num_shards))
              for k in pending]
    if num_shards == 1:  # the one shard writes ``out`` itself
        return [PlannedJob('free-mask', shards, resources)]
    merge.after = 0
    return [PlannedJob('free-mask', shards, resources), merge]


class _SlurmFileWriter(submitit.SlurmExecutor):
    """submitit's SlurmExecutor on a machine without Slurm: it writes sbatch files, never
    submits (``SlurmExecutor`` itself refuses to exist where ``srun`` is not on PATH)."""

    @classmethod
    def affinity(cls) -> int:
        return 1


def sbatch_preview(folder: str, job: PlannedJob, dependency: Optional[str] = None) -> str:
    """The sbatch file submitit would write for the job (for --dry-run, with or without
    Slurm on this machine)."""
    slurm = _SlurmFileWriter(folder=osp.join(folder, '%j'))
    params = {key: value for key, value in executor_parameters(job, dependency).items()
              if value is not None}  # AutoExecutor's rule: None is not set
    generic = {key: value for key, value in params.items() if not key.startswith('slurm_')}
    slurm.update_parameters(**slurm._convert_parameters(generic), **{
        key[len('slurm_'):]: value for key, value in params.items() if key.startswith('slurm_')})
    count = len(job.tasks) if len(job.tasks) > 1 else None
    return _make_sbatch_string(command=slurm._submitit_command_str, folder=slurm.folder,
                               map_count=count, **slurm.parameters)


def describe(plan: Sequence[PlannedJob], folder: str) -> str:
    """What ``submit`` would do: each job, its commands and its sbatch file."""
    lines = []
    for i, job in enumerate(plan):
        dependency = f'afterok:<job {job.after}>' if job.after is not None else None
        kind = f'array of {len(job.tasks)} tasks' if len(job.tasks) > 1 else 'job'
        lines.append(f'== job {i}: {job.name}, {kind}'
                     + (f', after job {job.after} succeeds' if dependency else ''))
        lines.extend(f'   {task!r}' for task in job.tasks)
        lines.append(sbatch_preview(folder, job, dependency))
    return '\n'.join(lines)


def submit(plan: Sequence[PlannedJob], folder: str,
           cluster: Optional[str] = None) -> List[List[submitit.Job]]:
    """Submit the planned jobs in order; returns the submitit jobs of each.

    On Slurm a job that depends on another is queued with ``--dependency``; submitit's other
    executors ('local', 'debug') know no dependencies, so the earlier jobs are waited for.
    """
    cluster = cluster or submitit.AutoExecutor.which()
    if cluster != 'slurm' and any(job.resources.nodes * job.resources.tasks_per_node > 1
                                  for job in plan):
        raise UserInputError(f'several tasks per job need Slurm, not submitit\'s {cluster!r} '
                             'executor')
    submitted: List[List[submitit.Job]] = []
    for job in plan:
        dependency = None
        if job.after is not None:
            if cluster == 'slurm':
                dependency = f'afterok:{submitted[job.after][0].job_id.split("_")[0]}'
            elif not wait(submitted[job.after:job.after + 1], report=False):
                print(f'not submitting {job.name}: a job it needs did not complete')
                break
        executor = make_executor(folder, job, cluster, dependency)
        if len(job.tasks) == 1:
            jobs = [executor.submit(job.tasks[0])]
        else:
            with executor.batch():
                jobs = [executor.submit(task) for task in job.tasks]
        submitted.append(jobs)
        print(f'submitted {job.name}: job {jobs[0].job_id.split("_")[0]}'
              + (f' ({len(jobs)} array tasks)' if len(jobs) > 1 else '')
              + (f', {dependency}' if dependency else ''), flush=True)
    return submitted


def wait(submitted: Sequence[Sequence[submitit.Job]], report: bool = True) -> bool:
    """Wait until every job has ended; True if all succeeded. With ``report``, each job's
    final state is printed, with the error that ended it when it left one."""
    ok = True
    for jobs in submitted:
        for job in jobs:
            job.wait()
            # the result file is written before Slurm records the job's end
            while isinstance(job, submitit.SlurmJob) and not job.watcher.is_done(
                    job.job_id, mode='force'):
                time.sleep(1)
            state = job.state.split()[0]  # 'CANCELLED by 0' -> 'CANCELLED'
            try:
                error = job.exception()
            except submitit.core.utils.UncompletedJobError:  # killed: it wrote no result
                error = None
                state = state if state not in DONE else 'UNCOMPLETED'
            ok = ok and state in DONE and error is None
            if report:
                print(f'job {job.job_id}: {state}{_error_line(error)}', flush=True)
    return ok


def _error_line(error: Optional[Exception]) -> str:
    """': <the exception>' of a job's error, the last one its traceback names."""
    if error is None:
        return ''
    raised = [line for line in str(error).splitlines()
              if re.match(r'^[\w.]+(Error|Exception|Interrupt)\b', line)]
    return f': {raised[-1]}' if raised else ': failed'
