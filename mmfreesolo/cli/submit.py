"""Submit Free Mask, training or self-training to Slurm with submitit.

    tools/submit.py pretrain CONFIG [tools/pretrain.py args] --nodes 2 --gpus-per-node 8 [...]
    tools/submit.py free-mask CONFIG --out OUT --num-shards N (--images DIR | --ann-file ...) [...]
    tools/submit.py train CONFIG [tools/train.py args] --nodes 2 --gpus-per-node 8 [...]
    tools/submit.py self-train CONFIG --rounds 2 --work-dir DIR [...]

Options of the submission (resources, --dry-run, --wait) may stand anywhere; every other
argument goes to the command, and is checked here before anything is submitted.
"""
from __future__ import annotations

import argparse
import os
from typing import List, Optional, Tuple

from ..engine.free_mask_labelling import label_with_free_mask
from ..engine.pretraining import pretrain, pretraining_config
from ..engine.self_training import self_train
from ..engine.training import train
from ..errors import UserInputError, exit_on_user_error
from ..fileio.configs import check_dataset_files, load_config
from ..launch.package_job import PackageJob
from ..launch.submission import PlannedJob, SlurmResources, describe, free_mask_plan, submit, wait
from ..pseudo_labels.label_file import label_file_complete
from . import free_mask as free_mask_cli
from . import pretrain as pretrain_cli
from . import self_train as self_train_cli
from . import train as train_cli

COMMANDS = {'pretrain': 'pretrain', 'free-mask': 'free_mask', 'train': 'train',
            'self-train': 'self_train'}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Submit a FreeSOLO stage to Slurm through submitit. Jobs are requeued on '
        'timeout or preemption and continue where they stopped.', allow_abbrev=False)
    parser.add_argument('command', choices=sorted(COMMANDS))
    slurm = parser.add_argument_group('Slurm resources (per job)')
    slurm.add_argument('--partition', help='default: the cluster\'s')
    slurm.add_argument('--nodes', type=int, default=1)
    slurm.add_argument('--tasks-per-node', type=int,
                       help='processes per node (default: --gpus-per-node, at least 1)')
    slurm.add_argument('--gpus-per-node', type=int, default=0)
    slurm.add_argument('--cpus-per-task', type=int, default=4,
                       help='also the torch threads of each task (default 4)')
    slurm.add_argument('--mem-gb', type=float)
    slurm.add_argument('--timeout', type=int, default=24 * 60,
                       help='minutes per job; near it the job is requeued (default 1440)')
    slurm.add_argument('--array-parallelism', type=int, default=256,
                       help='Free Mask shards running at once (default 256)')
    slurm.add_argument('--slurm-option', nargs='+', default=[], metavar='KEY=VALUE',
                       help='more sbatch options, e.g. account=abc qos=high')
    parser.add_argument('--num-shards', type=int, default=8,
                        help='free-mask: shards, one array task each (default 8)')
    parser.add_argument('--log-dir', default='work_dirs/submitit',
                        help='where submitit keeps job files and logs (default %(default)s)')
    parser.add_argument('--cluster', choices=['slurm', 'local', 'debug'],
                        help='submitit executor (default: Slurm when srun is on PATH)')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the jobs and their sbatch files; submit nothing')
    parser.add_argument('--wait', action='store_true',
                        help='wait for the jobs to end; exit 1 unless all completed')
    return parser


def _resources(args) -> SlurmResources:
    additional = {}
    for option in args.slurm_option:
        key, sep, value = option.partition('=')
        if not sep or not key:
            raise UserInputError(f'--slurm-option {option!r}: expected KEY=VALUE')
        additional[key] = value
    tasks = args.tasks_per_node or max(args.gpus_per_node, 1)
    return SlurmResources(args.partition, args.nodes, tasks, args.gpus_per_node,
                          args.cpus_per_task, args.mem_gb, args.timeout, args.array_parallelism,
                          additional)


def _free_mask(argv: List[str], args, resources: SlurmResources) -> List[PlannedJob]:
    if resources.nodes * resources.tasks_per_node != 1:
        raise UserInputError('free-mask: one task per shard; use --num-shards to spread it')
    for flag in ('--shard-id', '--num-shards'):
        if any(a == flag or a.startswith(flag + '=') for a in argv):
            raise UserInputError(f'free-mask: {flag} is set by the submission (--num-shards)')
    options = free_mask_cli.free_mask_options(free_mask_cli.build_parser().parse_args(argv))
    if label_file_complete(options['out']):
        return []
    # the config, checkpoint and images are checked once here, not in every task
    label_with_free_mask(**dict(options, check_only=True))
    return free_mask_plan(options, args.num_shards, resources)


def _training(command: str, argv: List[str], resources: SlurmResources) -> List[PlannedJob]:
    cli = {'train': train_cli, 'pretrain': pretrain_cli}.get(command, self_train_cli)
    parsed = cli.build_parser().parse_args(argv)
    if parsed.launcher != 'none':
        raise UserInputError('--launcher is set by the submission (slurm with several tasks)')
    if command in ('train', 'pretrain') and parsed.resume not in (None, 'auto'):
        raise UserInputError(f'a submitted {command} always resumes from the latest '
                             'checkpoint of its work dir; --resume takes no path here')
    if command == 'train':
        check_dataset_files(load_config(parsed.config, parsed.cfg_options), ('train', 'val'))
        function, options = train, dict(train_cli.train_options(parsed), resume='auto')
    elif command == 'pretrain':
        options = dict(pretrain_cli.pretrain_options(parsed), resume='auto')
        pretraining_config(**{k: v for k, v in options.items() if k != 'resume'})  # checked
        function = pretrain
    else:
        function, options = self_train, self_train_cli.self_train_options(parsed)
    name = f'{command.replace("_", "-")}-{os.path.splitext(os.path.basename(parsed.config))[0]}'
    return [PlannedJob(name, [PackageJob(function, distributed=True, **options)], resources)]


def plan_from_args(argv: Optional[List[str]] = None) -> Tuple[argparse.Namespace, list]:
    args, rest = build_parser().parse_known_args(argv)
    resources = _resources(args)
    command = COMMANDS[args.command]
    if command == 'free_mask':
        return args, _free_mask(rest, args, resources)
    return args, _training(command, rest, resources)


@exit_on_user_error
def main(argv: Optional[List[str]] = None):
    args, plan = plan_from_args(argv)
    if not plan:
        print('nothing to do: the output is complete')
        return []
    if args.dry_run:
        print(describe(plan, args.log_dir))
        return plan
    submitted = submit(plan, args.log_dir, args.cluster)
    if args.wait and not wait(submitted):
        raise SystemExit(1)
    return submitted


if __name__ == '__main__':
    main()
