"""Self-training, round after round, resumable at every step.

With a ``pretrain`` section, a backbone is first pretrained by self-supervision on the training
images (:mod:`.pretraining`), and Free Mask and every round start from it (Free Mask alone with
``init_rounds=False``). Round 1 trains on Free Mask's labels, the training dataset's
``ann_file`` in the config (made by Free Mask when the file is missing). The model of each round
then labels the training images (:class:`SelfTrainingHook`) and those labels train the next
round. Each stage has its folder in the work directory and is done when its files are there::

    pretrain/backbone.pth                         the pretrained backbone (+ its checkpoints)
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
        pretrain=dict(config='...pretraining config...', images=None),  # optional; images:
            # default the training dataset's image folder, or ann_file and img_root;
            # init_rounds=False: the backbone feeds Free Mask only, the rounds' backbone is
            # initialised as the config says (it may then be another architecture)
        free_mask=dict(config='...free_mask config...', images=None),  # images: the folder
            # Free Mask labels, default the training dataset's image folder; or ann_file and
            # img_root: the images of a COCO json; batch_size, chunk_size, workers
        init='config',  # each round starts as configured (the release); or 'previous'
        later_rounds_dataset=dict(min_score=0.0),  # merged into the training dataset of
            # rounds >= 2, which train on the model's own labels
        labelling=dict(score_thr=0.3),  # SelfTrainingHook's arguments (a SelfTrainingHook
            # in custom_hooks takes precedence)
        object_sizes=(4, 90))  # optional: the object sizes (px at the training scale) the head
            # is sized for; a warning before round 1 when the images are shrunk or the Free
            # Mask labels' objects fall outside
"""
from __future__ import annotations

import copy
import logging
import os
import os.path as osp
from typing import Dict, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.dist import barrier, init_dist, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ..adaptations import finish_distributed
from ..checkpoints import checkpoint_progress
from ..errors import UserInputError
from ..evaluation.class_agnostic_eval import evaluate_label_file
from ..fileio.coco_file_scan import scan_coco_file
from ..fileio.configs import annotated_dataset, check_dataset_files, dataset_paths, load_config
from ..fileio.json_files import read_json, write_json_atomic
from ..pseudo_labels.image_records import list_images
from ..pseudo_labels.label_file import label_file_complete, manifest_path
from ..pseudo_labels.label_scale import scale_warnings
from .free_mask_labelling import run_free_mask
from .hooks.self_training_hook import SelfTrainingHook
from .pretraining import BACKBONE, SKIPPED, pretraining_config, read_skipped, run_pretraining
from .self_training_summary import write_summary
from .training import build_runner, latest_checkpoint, training_finished

INITS = ('config', 'previous')
LABELS = 'self_training_labels.json'
STAGE = 'stage.json'
VAL_METRICS = 'val_metrics.json'


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


def train_and_evaluate(cfg: Config) -> Dict[str, float]:
    """Train ``cfg`` in its work dir (continuing from its last checkpoint; not at all once its
    schedule is done) and return its val metrics (``segm_mAP``, ...), kept in the work dir's
    ``val_metrics.json`` and read back from there."""
    metrics_file = osp.join(cfg.work_dir, VAL_METRICS)
    if not osp.isfile(metrics_file):
        latest = latest_checkpoint(cfg.work_dir)
        if latest is None or not training_finished(cfg, latest):
            if latest is not None:
                cfg.resume, cfg.load_from = True, None
            SelfTraining._train(cfg, metrics_file)
        if not osp.isfile(metrics_file):
            SelfTraining._validate(cfg, latest_checkpoint(cfg.work_dir), metrics_file)
    return read_json(metrics_file)


def _label_counts(path: str, min_score: float = 0.0) -> dict:
    """Images and masks of a label file, and the masks a dataset with ``min_score`` uses."""
    counts = dict(num_images=0, num_masks=0, num_masks_used=0)
    for element in scan_coco_file(path):  # a scan: COCO's label files take gigabytes
        if element.index is None:
            continue
        if element.key == 'images':
            counts['num_images'] += 1
        elif element.key == 'annotations':
            counts['num_masks'] += 1
            counts['num_masks_used'] += element.value.get('score', 1.0) >= min_score
    return counts


def training_scale(cfg: Config) -> Optional[Tuple[int, int]]:
    """The ``scale`` of the first Resize of the training pipeline (None without one)."""
    for step in annotated_dataset(cfg.train_dataloader).get('pipeline', []):
        if step.get('type') in ('Resize', 'mmdet.Resize') and step.get('scale'):
            return tuple(step['scale'])
    return None


def _say(message: str) -> None:
    if is_main_process():
        print(message, flush=True)


class SelfTraining:
    """Free Mask, then ``rounds`` rounds of training, in ``work_dir``.

    Args:
        cfg: the training config, with a ``self_training`` section.
        rounds: how many rounds to train.
        work_dir: where every stage writes.
        launcher: 'none', or the launcher the processes were started with (already
            initialised: :func:`mmengine.dist.init_dist`).
        init: overrides ``self_training.init``.
        name: prefixes its Runners' names, when one process self-trains more than once.
    """

    def __init__(self, cfg: Config, rounds: int, work_dir: str, launcher: str = 'none',
                 init: Optional[str] = None, name: str = '') -> None:
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
        self.name = name
        self.has_val = bool(cfg.get('val_dataloader') and cfg.get('val_evaluator'))
        self.init_rounds = (settings.get('pretrain') or {}).get('init_rounds', True)
        if not isinstance(self.init_rounds, bool):
            raise UserInputError(f'{cfg.filename}: self_training.pretrain.init_rounds must be '
                                 f'True or False, got {self.init_rounds!r}')
        self.pretraining = self._pretraining_config()
        self.pretrained: Optional[str] = None  # the pretrained backbone, once there

    def run(self) -> dict:
        """Run (or continue) every stage; returns the summary."""
        pretrain = self.pretrain_stage()
        stages = [self.free_mask_stage()]
        for r in range(1, self.rounds + 1):
            stages.append(self.round_stage(r))
        summary = dict(config=self.cfg.filename, work_dir=self.work_dir, rounds=self.rounds,
                       init=self.init, stages=stages)
        if pretrain:
            summary['pretrain'] = pretrain
        if is_main_process():
            write_summary(summary, self.work_dir)
        barrier()
        return summary

    # Pretraining --------------------------------------------------------------------------

    def _pretraining_config(self) -> Optional[Config]:
        """The pretraining stage's config (None without a ``pretrain`` section), checked to
        pretrain the backbone that Free Mask and the rounds use before anything runs."""
        settings = self.settings.get('pretrain')
        if not settings:
            return None
        if not settings.get('config'):
            raise UserInputError(f'{self.cfg.filename}: self_training.pretrain.config is not set')
        images = settings.get('images')
        if not settings.get('ann_file') and not images:
            images = dataset_paths(annotated_dataset(self.cfg.train_dataloader))[1]
        cfg = pretraining_config(settings.config, images, settings.get('ann_file'),
                                 settings.get('img_root'), osp.join(self.work_dir, 'pretrain'),
                                 settings.get('cfg_options'), self.launcher)
        # Runners of one process must not share these
        cfg.experiment_name = f'{self.name}pretrain'
        if cfg.get('visualizer'):
            cfg.visualizer.name = f'{self.name}pretrain_visualizer'
        users = [(self.settings.free_mask.config,
                  load_config(self.settings.free_mask.config).model.backbone)]
        if self.init_rounds:
            users.append((self.cfg.filename, self.cfg.model.backbone))
        pretrained = cfg.model.backbone
        for user, backbone in users:
            if _architecture(backbone) != _architecture(pretrained):
                raise UserInputError(
                    f'{settings.config} pretrains a {_architecture(pretrained)}, but {user} has '
                    f'a {_architecture(backbone)} backbone')
        return cfg

    def pretrain_stage(self) -> Optional[dict]:
        """The pretrained backbone (trained, or continued, when ``backbone.pth`` is missing)."""
        if self.pretraining is None:
            return None
        out = osp.join(self.pretraining.work_dir, BACKBONE)
        if not osp.isfile(out):
            source = self.pretraining.train_dataloader.dataset
            _say(f'== pretraining {_architecture(self.pretraining.model.backbone)} on '
                 f'{source.get("images") or source.get("ann_file")}')
            run_pretraining(copy.deepcopy(self.pretraining), resume='auto')
        self.pretrained = out
        skipped = read_skipped(osp.join(self.pretraining.work_dir, SKIPPED))
        return dict(stage='pretrain', config=self.pretraining.filename, backbone=out,
                    num_skipped=len(skipped))

    @property
    def rounds_backbone(self) -> Optional[str]:
        """The pretrained backbone the rounds start from (None: as their config says)."""
        return self.pretrained if self.init_rounds else None

    # Free Mask ----------------------------------------------------------------------------

    def free_mask_config(self) -> Config:
        """The Free Mask config, from the pretrained backbone when there is one."""
        fm_cfg = load_config(self.settings.free_mask.config)
        if self.pretrained:
            fm_cfg.model.backbone_checkpoint = self.pretrained
        return fm_cfg

    def free_mask_stage(self) -> dict:
        """Free Mask's labels of the training images (made when the training dataset's
        ``ann_file`` is missing), and, with a val set, Free Mask's own val metrics."""
        fm = self.settings.free_mask
        fm_cfg = self.free_mask_config()
        train_labels, train_images = dataset_paths(annotated_dataset(self.cfg.train_dataloader))
        if not label_file_complete(train_labels):
            if fm.get('ann_file'):  # the images of a COCO json, their ids kept
                source = fm.ann_file
                records = list_images(ann_file=fm.ann_file, img_root=fm.get('img_root'))
            else:
                source = fm.get('images') or train_images
                records = list_images(source)
            _say(f'== Free Mask: labelling {len(records)} images of {source} into '
                 f'{train_labels}')
            self._free_mask(fm_cfg, records, train_labels, source)
        stage = dict(stage='free_mask', labels=train_labels, **_label_counts(train_labels))
        self.check_label_scale(train_labels)
        if self.has_val:
            stage['val'] = self._free_mask_val(fm_cfg, osp.join(self.work_dir, 'free_mask'))
        return stage

    def check_label_scale(self, labels: str) -> None:
        """Warn when the training images are shrunk, or the labels' objects fall outside
        ``self_training.object_sizes`` (min, max px at the training scale), if it is set."""
        sizes = self.settings.get('object_sizes')
        if not sizes or not is_main_process():
            return
        scale = training_scale(self.cfg)
        if scale is None:
            return
        for warning in scale_warnings(labels, scale, sizes):
            print_log(f'warning: {warning}', logger='current', level=logging.WARNING)

    def _free_mask(self, fm_cfg: Config, records, out: str, source: str) -> None:
        fm = self.settings.free_mask
        device = (f'cuda:{torch.cuda.current_device()}' if torch.cuda.is_available() else 'cpu')
        os.makedirs(osp.dirname(out) or '.', exist_ok=True)
        run_free_mask(fm_cfg, records, out, source, batch_size=fm.get('batch_size', 1),
                      chunk_size=fm.get('chunk_size', 64), workers=fm.get('workers', 0),
                      device=device, progress=is_main_process())

    def _free_mask_val(self, fm_cfg: Config, folder: str) -> Dict[str, float]:
        metrics_file = osp.join(folder, VAL_METRICS)
        if osp.isfile(metrics_file):
            return read_json(metrics_file)
        val_ann, val_images = dataset_paths(annotated_dataset(self.cfg.val_dataloader))
        labels = osp.join(folder, 'val_labels.json')
        if not label_file_complete(labels):
            _say(f'== Free Mask on the val images of {val_ann}')
            self._free_mask(fm_cfg, list_images(ann_file=val_ann, img_root=val_images), labels,
                            val_ann)
        if is_main_process():
            _write(metrics_file, evaluate_label_file(
                labels, self.cfg.val_evaluator.get('ann_file') or val_ann))
        barrier()
        return read_json(metrics_file)

    # Rounds -------------------------------------------------------------------------------

    def round_dir(self, r: int) -> str:
        return osp.join(self.work_dir, f'round_{r}')

    def round_stage(self, r: int) -> dict:
        """Train round ``r`` (or continue it), label the training images with it unless it is
        the last, evaluate it; each step is skipped when its files are there."""
        folder = self.round_dir(r)
        makes_labels = r < self.rounds
        labels_out = osp.join(folder, LABELS)
        stage_file = osp.join(folder, STAGE)
        if osp.isfile(stage_file) and (not makes_labels or label_file_complete(labels_out)):
            _say(f'== round {r}: done before')
            return read_json(stage_file)

        cfg = self.round_config(r, makes_labels)
        check_dataset_files(cfg, ('train', 'val'))
        trained_on = dataset_paths(annotated_dataset(cfg.train_dataloader))[0]
        metrics_file = osp.join(folder, VAL_METRICS)
        latest = latest_checkpoint(folder)
        if latest is None or not training_finished(cfg, latest):
            _say(f'== round {r} of {self.rounds}: training on {trained_on}')
            self._train(cfg, metrics_file)  # the SelfTrainingHook labels at its end
        else:
            _say(f'== round {r} of {self.rounds}: trained before on {trained_on}')
            if makes_labels and not label_file_complete(labels_out):
                self._label(cfg, latest)
        if self.has_val and not osp.isfile(metrics_file):
            self._validate(cfg, latest_checkpoint(folder), metrics_file)
        stage = self._round_record(r, cfg, trained_on, makes_labels)
        _write(stage_file, stage)
        barrier()
        return stage

    @staticmethod
    def _train(cfg: Config, metrics_file: str) -> None:
        runner = build_runner(cfg)
        _say(f'   log: {osp.join(runner.log_dir, runner.timestamp + ".log")}')
        runner.register_hook(_FinalValMetrics(metrics_file))
        runner.train()
        barrier()

    @staticmethod
    def _label(cfg: Config, checkpoint: str) -> None:
        """Label with a finished round's last weights (loaded, not resumed: resuming would
        replay the data loader up to the last iteration)."""
        cfg.resume, cfg.load_from = False, checkpoint
        runner = build_runner(cfg)
        runner.load_or_resume()
        (hook, ) = [h for h in runner.hooks if isinstance(h, SelfTrainingHook)]
        hook.make_labels(runner, checkpoint=checkpoint,
                         iteration=checkpoint_progress(checkpoint)[1])
        barrier()

    @staticmethod
    def _validate(cfg: Config, checkpoint: str, metrics_file: str) -> None:
        cfg.resume, cfg.load_from = False, checkpoint
        runner = build_runner(cfg)
        runner.load_or_resume()
        _write(metrics_file, _flatten_metrics(runner.val()))
        barrier()

    def _round_record(self, r: int, cfg: Config, trained_on: str, makes_labels: bool) -> dict:
        folder = self.round_dir(r)
        checkpoint = latest_checkpoint(folder)
        min_score = annotated_dataset(cfg.train_dataloader).get('min_score', 0.0)
        stage = dict(stage=f'round_{r}', trained_on=trained_on,
                     **_label_counts(trained_on, min_score), checkpoint=checkpoint,
                     iter=checkpoint_progress(checkpoint)[1] if checkpoint else None)
        if self.has_val:
            stage['val'] = read_json(osp.join(folder, VAL_METRICS))
        if makes_labels:
            stage['labels_made'] = read_json(manifest_path(osp.join(folder, LABELS)))
        return stage

    def labelling_hook(self) -> dict:
        """The SelfTrainingHook config that labels the training images at a round's end: the
        config's own in ``custom_hooks``, else one made of ``self_training.labelling``."""
        return next((copy.deepcopy(h) for h in self.cfg.get('custom_hooks', [])
                     if h['type'] == 'SelfTrainingHook'),
                    dict(type='SelfTrainingHook', **self.settings.get('labelling', {})))

    def round_config(self, r: int, makes_labels: bool) -> Config:
        """The config of round ``r``: its work dir, its training labels, how it starts, and
        whether it labels the training images at its end."""
        cfg = copy.deepcopy(self.cfg)
        folder = self.round_dir(r)
        cfg.work_dir = folder
        cfg.launcher = self.launcher
        # one process runs several Runners: their logger, message hub and visualizer, global
        # instances found by name, must not be shared
        cfg.experiment_name = f'{self.name}round_{r}'
        if cfg.get('visualizer'):
            cfg.visualizer.name = f'{self.name}round_{r}_visualizer'
        if r > 1:
            previous = osp.join(self.round_dir(r - 1), LABELS)
            manifest = read_json(manifest_path(previous))
            if manifest['num_masks'] == 0:
                raise UserInputError(
                    f'round {r - 1}\'s model labelled nothing ({manifest_path(previous)}): '
                    'train it longer, or lower SelfTrainingHook\'s score_thr')
            dataset = annotated_dataset(cfg.train_dataloader)
            dataset.ann_file = previous
            dataset.update(self.settings.get('later_rounds_dataset', {}))
        hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] != 'SelfTrainingHook']
        if makes_labels:
            hooks.append(dict(self.labelling_hook(), out_file=osp.join(folder, LABELS)))
        cfg.custom_hooks = hooks
        if self.rounds_backbone:
            cfg.model.backbone.init_cfg = dict(type='BackboneCheckpoint',
                                               checkpoint=self.rounds_backbone)
        if latest_checkpoint(folder):
            cfg.resume, cfg.load_from = True, None
        elif self.init == 'previous' and r > 1:
            cfg.resume, cfg.load_from = False, latest_checkpoint(self.round_dir(r - 1))
        return cfg


def _architecture(backbone: dict) -> str:
    """'ResNet-18' of a backbone config ('ResNet' in mmdet and mmpretrain alike)."""
    name = backbone.get('type', '?').split('.')[-1]
    return f'{name}-{backbone["depth"]}' if 'depth' in backbone else name


def self_train(config: str, rounds: int, work_dir: str, init: Optional[str] = None,
               cfg_options: Optional[dict] = None, launcher: str = 'none') -> dict:
    """Free Mask (when its labels are missing), then ``rounds`` rounds (``tools/self_train.py``
    and its Slurm jobs); returns the summary."""
    cfg = load_config(config, cfg_options)
    if launcher != 'none':
        # the Runners of the rounds find the process group already there and reuse it
        init_dist(launcher, **cfg.get('env_cfg', {}).get('dist_cfg', {}))
    summary = SelfTraining(cfg, rounds, work_dir, launcher, init).run()
    finish_distributed()
    return summary
