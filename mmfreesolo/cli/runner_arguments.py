"""The arguments of mmdet's command lines that build a Runner."""
from __future__ import annotations

import argparse
import os

from mmengine.config import DictAction


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """``--cfg-options``, ``--launcher`` and ``--local_rank``, as mmdet's tools have them."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def runner_options(args: argparse.Namespace) -> dict:
    """``cfg_options`` and ``launcher`` of the parsed arguments; ``LOCAL_RANK`` is set from
    ``--local_rank`` when the launcher did not set it (as mmdet's tools)."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return dict(cfg_options=args.cfg_options, launcher=args.launcher)
