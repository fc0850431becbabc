"""Rows of the demo's AP table that set its pipeline beside others, scored the same way on the
same val scenes. The config's ``demo.comparisons`` lists them, each one of:

    dict(title='ResNet-18, random weights', free_mask=CONFIG, checkpoint=None, seed=0)
        Free Mask of CONFIG from ``checkpoint`` (None: random weights drawn with ``seed``), on
        the val scenes: one row.
    dict(title='ImageNet MobileNetV2, supervised', self_training=CONFIG, labels=FILE,
         cfg_options=dict(...))
        CONFIG's whole self-training (its own Free Mask labels written to ``labels``, under the
        scenes' data root, so that they do not replace the demo's): a row for its Free Mask and
        one for its last round.

Each works in ``work/compare_<i>/`` and, run again, reads back what it finished.
"""
from __future__ import annotations

import copy
import os.path as osp
from typing import List

import torch
from mmengine.config import Config

from ..engine.free_mask_labelling import run_free_mask
from ..engine.self_training import VAL_METRICS, SelfTraining
from ..errors import UserInputError
from ..evaluation.class_agnostic_eval import evaluate_label_file
from ..evaluation.reporting import REPORTED_METRICS
from ..fileio.configs import load_config
from ..fileio.json_files import read_json, write_json_atomic
from ..pseudo_labels.image_records import list_images


def table_row(title: str, metrics: dict) -> dict:
    """A row of the AP table: the stage's title and its reported metrics."""
    return dict(stage=title, **{name: metrics.get(key) for key, name in REPORTED_METRICS})


def free_mask_row(title: str, config: str, checkpoint, seed: int, folder: str, val_ann: str,
                  val_images: str) -> dict:
    """Free Mask of ``config`` from ``checkpoint`` scored on the val images."""
    metrics_file = osp.join(folder, VAL_METRICS)
    if not osp.isfile(metrics_file):
        cfg = load_config(config)
        cfg.model.backbone_checkpoint = checkpoint
        print(f'== {title}: Free Mask on the val scenes', flush=True)
        # without a checkpoint the weights are drawn at random: the same on every rerun
        torch.manual_seed(seed)
        labels = osp.join(folder, 'val_labels.json')
        run_free_mask(cfg, list_images(ann_file=val_ann, img_root=val_images), labels, val_ann,
                      batch_size=8)
        write_json_atomic(metrics_file, evaluate_label_file(labels, val_ann), indent=2)
    return table_row(title, read_json(metrics_file))


def self_training_rows(title: str, config: str, labels: str, cfg_options: dict,
                       randomness: Config, folder: str) -> List[dict]:
    """``config``'s Free Mask and its last round, self-trained (two rounds) with the demo's
    seed."""
    cfg = load_config(config)
    cfg.merge_from_dict(dict(cfg_options or {}))
    cfg.train_dataloader.dataset.ann_file = labels
    cfg.randomness = copy.deepcopy(randomness)
    print(f'== {title}: its own self-training', flush=True)
    summary = SelfTraining(cfg, rounds=2, work_dir=folder,
                           name=osp.basename(folder) + '_').run()
    first, last = summary['stages'][0], summary['stages'][-1]
    return [table_row(f'Free Mask, {title}', first['val']),
            table_row(f'FreeSOLO {last["stage"].replace("_", " ")}, {title}', last['val'])]


def check_comparisons(comparisons: list) -> None:
    """Each item names what it runs (checked before anything trains)."""
    for i, item in enumerate(comparisons):
        if not item.get('title'):
            raise UserInputError(f'demo.comparisons[{i}] has no title')
        if item.get('self_training') and not item.get('labels'):
            raise UserInputError(f'demo.comparisons[{i}] needs labels: a file of its own '
                                 'for its Free Mask labels')
        if not item.get('free_mask') and not item.get('self_training'):
            raise UserInputError(f'demo.comparisons[{i}] names neither free_mask nor '
                                 'self_training')


def comparison_rows(comparisons: list, work_dir: str, val_ann: str, val_images: str,
                    randomness: Config) -> List[dict]:
    """The rows of every comparison (checked by :func:`check_comparisons`), in the config's
    order."""
    rows = []
    for i, item in enumerate(comparisons):
        folder = osp.join(work_dir, f'compare_{i}')
        if item.get('free_mask'):
            rows.append(free_mask_row(f'Free Mask, {item["title"]}', item['free_mask'],
                                      item.get('checkpoint'), item.get('seed', 0), folder,
                                      val_ann, val_images))
        else:
            rows += self_training_rows(item['title'], item['self_training'], item['labels'],
                                       item.get('cfg_options'), randomness, folder)
    return rows
