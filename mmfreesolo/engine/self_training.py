"""Self-training, round after round, resumable at every step.

Round 1 trains on Free Mask's labels, the training dataset's ``ann_file`` in the config (made
by Free Mask when the file is missing). The model of each round then labels the training images
(:class:`SelfTrainingHook`) and those labels train the next round. Each stage has its folder in
the work directory and is done when its files are there::

    free_mask/val_labels.json, val_metrics.json   Free Mask on the val images, evaluated
    round_1/  mmengine work dir; val_metrics.json; self_training_labels.json (+ .manifest.json)
    round_2/  ...                                  stage.json in each round once it is done
    summary.json, summary.png

Interrupted anywhere and started again, it continues: Free Mask and labelling from their
finished chunks, training from the last checkpoint (mmengine's resume). A round whose training
is finished is not resumed through the training loop (mmengine would reload every batch already
trained on to advance its data loader); its last checkpoint is loaded instead.

The config's ``self_training`` section::

    self_training = dict(
        free_mask=dict(config='...free_mask config...', images=None),  # images: the folder
            # Free Mask labels, default the training dataset's image folder; or ann_file and
            # img_root: the images of a COCO json; batch_size, chunk_size, workers
        init='config',  # each round starts as configured (the release); or 'previous'
        later_rounds_dataset=dict(min_score=0.0))  # merged into the training dataset of
            # rounds >= 2, which train on the model's own labels
"""
from __future__ import annotations

import copy
import os
import os.path as osp
from typing import Dict, Optional, Tuple

import torch
from mmengine.config import Config, ConfigDict
from mmengine.dist import barrier, get_dist_info, is_main_process
from mmengine.hooks import Hook
from mmengine.registry import RUNNERS
from mmengine.runner import Runner, find_latest_checkpoint

from ..atomic_write import write_json_atomic
from ..checkpoints import checkpoint_progress
from ..cli.config_checks import check_dataset_files, load_config
from ..datasets.coco_file_check import read_json
from ..errors import UserInputError
from ..evaluation.class_agnostic_eval import (IOU_TYPES, evaluate_class_agnostic,
                                              load_coco_gt, load_detections)
from ..free_mask.generate import run_free_mask
from ..pseudo_labels.image_source import list_images
from ..pseudo_labels.label_file import label_file_complete, merge_shards, shard_path
from .hooks.self_training_hook import labels_complete, manifest_path
from .self_training_summary import write_summary

INITS = ('config', 'previous')
LABELS = 'self_training_labels.json'
STAGE = 'stage.json'
VAL_METRICS = 'val_metrics.json'


def _innermost_dataset(loader: ConfigDict) -> ConfigDict:
    """The dataset config holding the annotation file, inside any wrapper datasets."""
    dataset = loader.dataset
    while 'ann_file' not in dataset and isinstance(dataset.get('dataset'), dict):
        dataset = dataset.dataset
    if 'ann_file' not in dataset:
        raise UserInputError('the dataloader\'s dataset has no ann_file')
    return dataset


def _dataset_paths(dataset: ConfigDict) -> Tuple[str, str]:
    """The annotation file and image folder of a dataset config, as mmengine joins them."""
    root = dataset.get('data_root') or ''
    return (osp.join(root, dataset.ann_file),
            osp.join(root, dataset.get('data_prefix', {}).get('img', '')))


def _flatten_metrics(metrics: Dict[str, float]) -> Dict[str, float]:
    """``agnostic/segm_mAP`` -> ``segm_mAP``: the same keys for every stage."""
    return {key.rsplit('/', 1)[-1]: round(float(value), 4) for key, value in metrics.items()}


def _write(path: str, obj) -> None:
    if is_main_process():
        write_json_atomic(path, obj, indent=2)


class _FinalValMetrics(Hook):
    """Keeps the metrics of the validation at the end of training, so that a round's training
    need not be evaluated twice."""
    priority = 'LOWEST'

    def __init__(self, path: str) -> None:
        self.path = path
        self.training = False

    def before_train(self, runner) -> None:
        self.training = True

    def after_train(self, runner) -> None:
        self.training = False

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if self.training and metrics and runner.iter >= runner.max_iters:
            _write(self.path, _flatten_metrics(metrics))


class SelfTraining:
    """Free Mask, then ``rounds`` rounds of training, in ``work_dir``.

    Args:
        cfg: the training config, with a ``self_training`` section.
        rounds: how many rounds to train.
        work_dir: where every stage writes.
        launcher: 'none', or the launcher the processes were started with (already
            initialised: :func:`mmengine.dist.init_dist`).
        init: overrides ``self_training.init``.
    """

    def __init__(self, cfg: Config, rounds: int, work_dir: str, launcher: str = 'none',
                 init: Optional[str] = None) -> None:
        if rounds < 1:
            raise UserInputError(f'--rounds must be at least 1, got {rounds}')
        settings = cfg.get('self_training')
        if not settings:
            raise UserInputError(f'{cfg.filename}: the config has no self_training section '
                                 '(see configs/freesolo_mobilenetv2_scenes_cpu.py)')
        if not settings.get('free_mask', {}).get('config'):
            raise UserInputError(f'{cfg.filename}: self_training.free_mask.config is not set')
        self.init = init or settings.get('init', 'config')
        if self.init not in INITS:
            raise UserInputError(f'self_training.init must be one of {INITS}, got '
                                 f'{self.init!r}')
        self.cfg = cfg
        self.settings = settings
        self.rounds = rounds
        self.work_dir = osp.abspath(work_dir)
        self.launcher = launcher
        self.has_val = bool(cfg.get('val_dataloader') and cfg.get('val_evaluator'))

    def run(self) -> dict:
        """Run (or continue) every stage; returns the summary."""
        stages = [self.free_mask_stage()]
        for r in range(1, self.rounds + 1):
            stages.append(self.round_stage(r))
        summary = dict(config=self.cfg.filename, work_dir=self.work_dir, rounds=self.rounds,
                       init=self.init, stages=stages)
        if is_main_process():
            write_summary(summary, self.work_dir)
        barrier()
        return summary

    # Free Mask ----------------------------------------------------------------------------

    def free_mask_stage(self) -> dict:
        folder = osp.join(self.work_dir, 'free_mask')
        fm = self.settings.free_mask
        fm_cfg = load_config(fm.config)
        train_labels, train_images = _dataset_paths(_innermost_dataset(self.cfg.train_dataloader))
        if not label_file_complete(train_labels):
            if fm.get('ann_file'):  # the images of a COCO json, their ids kept
                source = fm.ann_file
                records = list_images(ann_file=fm.ann_file, img_root=fm.get('img_root'))
            else:
                source = fm.get('images') or train_images
                records = list_images(source)
            self._print(f'== Free Mask: labelling {len(records)} images of {source} into '
                        f'{train_labels}')
            self._free_mask(fm_cfg, records, train_labels, source)
        stage = dict(stage='free_mask', labels=train_labels, **self._label_counts(train_labels))
        if self.has_val:
            stage['val'] = self._free_mask_val(fm_cfg, folder)
        return stage

    def _free_mask(self, fm_cfg: Config, records, out: str, source: str) -> None:
        fm = self.settings.free_mask
        rank, world_size = get_dist_info()
        device = (f'cuda:{torch.cuda.current_device()}' if torch.cuda.is_available() else 'cpu')
        os.makedirs(osp.dirname(out) or '.', exist_ok=True)
        run_free_mask(fm_cfg, records, out, source, shard_id=rank, num_shards=world_size,
                      batch_size=fm.get('batch_size', 1), chunk_size=fm.get('chunk_size', 64),
                      workers=fm.get('workers', 0), device=device, progress=rank == 0)
        if world_size > 1:
            barrier()
            if rank == 0:
                merge_shards(out, [shard_path(out, i, world_size) for i in range(world_size)],
                             remove=True)
            barrier()

    def _free_mask_val(self, fm_cfg: Config, folder: str) -> Dict[str, float]:
        metrics_file = osp.join(folder, VAL_METRICS)
        if osp.isfile(metrics_file):
            return read_json(metrics_file)
        val_ann, val_images = _dataset_paths(_innermost_dataset(self.cfg.val_dataloader))
        gt_file = self.cfg.val_evaluator.get('ann_file') or val_ann
        labels = osp.join(folder, 'val_labels.json')
        if not label_file_complete(labels):
            self._print(f'== Free Mask on the val images of {val_ann}')
            self._free_mask(fm_cfg, list_images(ann_file=val_ann, img_root=val_images), labels,
                            val_ann)
        metrics = {}
        if is_main_process():
            coco_gt = load_coco_gt(gt_file)
            detections = load_detections(labels, coco_gt)
            for iou_type in IOU_TYPES:
                stats = evaluate_class_agnostic(coco_gt, detections, iou_type)
                metrics.update({f'{iou_type}_{k}': round(v, 4) for k, v in stats.items()})
            _write(metrics_file, metrics)
        barrier()
        return read_json(metrics_file)

    # Rounds -------------------------------------------------------------------------------

    def round_dir(self, r: int) -> str:
        return osp.join(self.work_dir, f'round_{r}')

    def round_stage(self, r: int) -> dict:
        folder = self.round_dir(r)
        makes_labels = r < self.rounds
        labels_out = osp.join(folder, LABELS)
        stage_file = osp.join(folder, STAGE)
        if osp.isfile(stage_file) and (not makes_labels or labels_complete(labels_out)):
            self._print(f'== round {r}: done before')
            return read_json(stage_file)

        cfg = self.round_config(r, makes_labels)
        check_dataset_files(cfg, ('train', 'val'))
        latest = _latest_checkpoint(folder)
        finished = latest is not None and _training_finished(cfg, latest)
        if finished:  # load the weights only: resuming would replay the data loader
            cfg.resume, cfg.load_from = False, latest
        train_dataset = _innermost_dataset(cfg.train_dataloader)
        trained_on = _dataset_paths(train_dataset)[0]
        self._print(f'== round {r} of {self.rounds}: '
                    f'{"trained before" if finished else "training"} on {trained_on}')
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
        metrics_file = osp.join(folder, VAL_METRICS)
        runner.register_hook(_FinalValMetrics(metrics_file))
        if not finished:
            runner.train()  # the SelfTrainingHook labels at its end
        elif makes_labels and not labels_complete(labels_out):
            runner.load_or_resume()
            hook = next(h for h in runner.hooks if type(h).__name__ == 'SelfTrainingHook')
            hook.make_labels(runner, checkpoint=latest, iteration=checkpoint_progress(latest)[1])
        barrier()
        if self.has_val and not osp.isfile(metrics_file):
            _write(metrics_file, _flatten_metrics(runner.val()))
            barrier()
        checkpoint = _latest_checkpoint(folder)
        stage = dict(stage=f'round_{r}', trained_on=trained_on,
                     **self._label_counts(trained_on, train_dataset.get('min_score', 0.0)),
                     checkpoint=checkpoint,
                     iter=checkpoint_progress(checkpoint)[1] if checkpoint else None)
        if self.has_val:
            stage['val'] = read_json(metrics_file)
        if makes_labels:
            stage['labels_made'] = read_json(manifest_path(labels_out))
        _write(stage_file, stage)
        barrier()
        return stage

    def round_config(self, r: int, makes_labels: bool) -> Config:
        """The config of round ``r``: its work dir, its training labels, how it starts, and
        whether it labels the training images at its end."""
        cfg = copy.deepcopy(self.cfg)
        folder = self.round_dir(r)
        cfg.work_dir = folder
        cfg.launcher = self.launcher
        # one process runs several Runners: their logger, message hub and visualizer, global
        # instances found by name, must not be shared
        cfg.experiment_name = f'round_{r}'
        if cfg.get('visualizer'):
            cfg.visualizer.name = f'round_{r}_visualizer'
        if r > 1:
            previous = osp.join(self.round_dir(r - 1), LABELS)
            manifest = read_json(manifest_path(previous))
            if manifest['num_masks'] == 0:
                raise UserInputError(
                    f'round {r - 1}\'s model labelled nothing ({manifest_path(previous)}): '
                    'train it longer, or lower SelfTrainingHook\'s score_thr')
            dataset = _innermost_dataset(cfg.train_dataloader)
            dataset.ann_file = previous
            dataset.update(self.settings.get('later_rounds_dataset', {}))
        hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] != 'SelfTrainingHook']
        if makes_labels:
            hook = next((copy.deepcopy(h) for h in cfg.get('custom_hooks', [])
                         if h['type'] == 'SelfTrainingHook'), dict(type='SelfTrainingHook'))
            hook['out_file'] = osp.join(folder, LABELS)
            hooks.append(hook)
        cfg.custom_hooks = hooks
        if _latest_checkpoint(folder):
            cfg.resume, cfg.load_from = True, None
        elif self.init == 'previous' and r > 1:
            cfg.resume, cfg.load_from = False, _latest_checkpoint(self.round_dir(r - 1))
        return cfg

    # --------------------------------------------------------------------------------------

    @staticmethod
    def _label_counts(path: str, min_score: float = 0.0) -> dict:
        """Images and masks of a label file, and the masks a dataset with ``min_score`` uses."""
        labels = read_json(path)
        used = sum(ann.get('score', 1.0) >= min_score for ann in labels['annotations'])
        return dict(num_images=len(labels['images']), num_masks=len(labels['annotations']),
                    num_masks_used=used)

    @staticmethod
    def _print(message: str) -> None:
        if is_main_process():
            print(message, flush=True)


def _latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint mmengine's auto-resume would take, or None (quietly, unlike mmengine)."""
    if not osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        return None
    return find_latest_checkpoint(work_dir)


def _training_finished(cfg: Config, checkpoint: str) -> bool:
    epoch, iteration = checkpoint_progress(checkpoint)
    train_cfg = cfg.train_cfg
    if 'max_iters' in train_cfg:
        return iteration >= train_cfg.max_iters
    if 'max_epochs' in train_cfg:
        return epoch >= train_cfg.max_epochs
    raise UserInputError('train_cfg has neither max_iters nor max_epochs')
