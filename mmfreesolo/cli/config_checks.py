"""Loading a config, and checking the files it names before any model is built."""
from __future__ import annotations

import argparse
import os
import os.path as osp
from typing import Iterable, Iterator, Optional, Tuple

from mmengine.config import Config, ConfigDict, DictAction

from ..datasets.coco_file_check import check_coco_file
from ..errors import UserInputError


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments every mmdet command line that builds a Runner has: ``--cfg-options``,
    ``--launcher`` and ``--local_rank`` (which :func:`load_runner_config` reads)."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_runner_config(args: argparse.Namespace) -> Config:
    """The config of ``args.config`` with ``--cfg-options`` applied; ``LOCAL_RANK`` set from
    ``--local_rank`` when the launcher did not set it (as mmdet's tools)."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return load_config(args.config, args.cfg_options)


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``Config.fromfile`` with one-line errors for a missing or broken config."""
    if not osp.isfile(path):
        raise UserInputError(f'{path}: no such config file')
    try:
        cfg = Config.fromfile(path)
    except FileNotFoundError as e:  # a missing _base_
        raise UserInputError(f'{path}: {e}') from None
    except SyntaxError as e:
        raise UserInputError(f'{path}: not a valid config ({e.msg}, line {e.lineno})') from None
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def resolve_work_dir(cfg: Config, config_path: str, work_dir: Optional[str]) -> str:
    """The command line's --work-dir, else the config's, else ./work_dirs/<config name>."""
    if work_dir is not None:
        return work_dir
    if cfg.get('work_dir') is not None:
        return cfg.work_dir
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def _datasets(dataset: ConfigDict) -> Iterator[ConfigDict]:
    """A dataset config and every dataset it wraps (RepeatDataset, ConcatDataset, ...)."""
    yield dataset
    inner = dataset.get('dataset')
    if isinstance(inner, dict):
        yield from _datasets(inner)
    for inner in dataset.get('datasets', None) or []:
        yield from _datasets(inner)


def annotation_files(cfg: Config, splits: Iterable[str]) -> Iterator[Tuple[str, str]]:
    """(split, path) of every json annotation file of the given splits' dataloaders."""
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader or not loader.get('dataset'):
            continue
        for dataset in _datasets(loader.dataset):
            ann_file = dataset.get('ann_file')
            if isinstance(ann_file, str) and ann_file.endswith('.json'):
                yield split, osp.join(dataset.get('data_root') or '', ann_file)


def check_dataset_files(cfg: Config, splits: Iterable[str]) -> None:
    """Fail early, naming the file, if an annotation file is missing or malformed."""
    for split, path in annotation_files(cfg, splits):
        if not osp.isfile(path):
            raise UserInputError(f'{path}: annotation file of the {split} dataset not found')
        check_coco_file(path)
