"""Configs: loading one with clear errors, and the datasets it names (inside any wrapper
datasets), their files checked before any model is built."""
from __future__ import annotations

import os.path as osp
from typing import Iterable, Iterator, Optional, Tuple

from mmengine.config import Config, ConfigDict

from ..errors import UserInputError
from .coco_file_scan import check_coco_file_scan


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


def dataset_configs(dataset: ConfigDict) -> Iterator[ConfigDict]:
    """A dataset config and every dataset it wraps (RepeatDataset, ConcatDataset, ...)."""
    yield dataset
    inner = dataset.get('dataset')
    if isinstance(inner, dict):
        yield from dataset_configs(inner)
    for inner in dataset.get('datasets', None) or []:
        yield from dataset_configs(inner)


def annotated_dataset(loader: ConfigDict) -> ConfigDict:
    """The first dataset config of a dataloader that holds an annotation file."""
    for dataset in dataset_configs(loader.dataset):
        if 'ann_file' in dataset:
            return dataset
    raise UserInputError('the dataloader\'s dataset has no ann_file')


def dataset_paths(dataset: ConfigDict) -> Tuple[str, str]:
    """The annotation file and image folder of a dataset config, as mmengine joins them."""
    root = dataset.get('data_root') or ''
    return (osp.join(root, dataset.ann_file),
            osp.join(root, dataset.get('data_prefix', {}).get('img', '')))


def annotation_files(cfg: Config, splits: Iterable[str]) -> Iterator[Tuple[str, str]]:
    """(split, path) of every json annotation file of the given splits' dataloaders."""
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader or not loader.get('dataset'):
            continue
        for dataset in dataset_configs(loader.dataset):
            ann_file = dataset.get('ann_file')
            if isinstance(ann_file, str) and ann_file.endswith('.json'):
                yield split, osp.join(dataset.get('data_root') or '', ann_file)


def check_dataset_files(cfg: Config, splits: Iterable[str]) -> None:
    """Fail early, naming the file, if an annotation file is missing or malformed."""
    for split, path in annotation_files(cfg, splits):
        if not osp.isfile(path):
            raise UserInputError(f'{path}: annotation file of the {split} dataset not found')
        check_coco_file_scan(path)  # a scan: the file may hold millions of masks
