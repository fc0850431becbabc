"""Self-supervised pretraining of a backbone on unlabeled images (DenseCL through mmpretrain),
and its hand-over: the backbone written as a checkpoint that Free Mask and FreeSOLO configs load
strictly (``tools/pretrain.py``, its Slurm jobs, and the first stage of self-training).

A pretraining work dir holds mmengine's checkpoints (the momentum encoder and DenseCL's queues
are part of the model, so a resumed run recomputes nothing), ``skipped_images.jsonl`` (files
that could not be read), and at the end ``backbone.pth``.
"""
from __future__ import annotations

import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.dist import barrier, is_main_process

from ..adaptations import finish_distributed
from ..checkpoints import export_backbone
from ..errors import UserInputError
from ..fileio.configs import load_config
from ..pretraining.unlabeled_images import read_skipped
from ..pseudo_labels.image_records import list_images
from .training import (build_runner, latest_checkpoint, resolve_work_dir, set_resume,
                       training_finished)

BACKBONE = 'backbone.pth'
SKIPPED = 'skipped_images.jsonl'


def pretraining_config(config: str,
                       images: Optional[str] = None,
                       ann_file: Optional[str] = None,
                       img_root: Optional[str] = None,
                       work_dir: Optional[str] = None,
                       cfg_options: Optional[dict] = None,
                       launcher: str = 'none') -> Config:
    """The pretraining config with its images (``images``, or ``ann_file`` + ``img_root``,
    else the config's own) and work dir set; the images are listed once, so that an empty or
    missing folder fails here, before any model is built."""
    cfg = load_config(config, cfg_options)
    dataset = (cfg.get('train_dataloader') or {}).get('dataset')
    if not dataset or dataset.get('type') != 'UnlabeledImages':
        raise UserInputError(f'{config}: not a pretraining config (its train dataset must be '
                             'UnlabeledImages; see configs/pretrain/)')
    if images is not None or ann_file is not None:
        dataset.update(images=images, ann_file=ann_file, img_root=img_root)
    if not (dataset.get('images') or dataset.get('ann_file')):
        raise UserInputError(f'{config}: no images to pretrain on: give --images DIR or '
                             '--ann-file JSON --img-root DIR')
    list_images(dataset.get('images'), dataset.get('ann_file'), dataset.get('img_root'))
    cfg.work_dir = resolve_work_dir(cfg, config, work_dir)
    dataset.skipped_file = osp.join(cfg.work_dir, SKIPPED)
    cfg.launcher = launcher
    return cfg


def run_pretraining(cfg: Config, resume: Optional[str] = None) -> str:
    """Train (or continue: ``resume`` 'auto' or a checkpoint) and write the backbone; a run whose
    schedule is finished only writes it. Returns the backbone checkpoint's path."""
    out = osp.join(cfg.work_dir, BACKBONE)
    latest = latest_checkpoint(cfg.work_dir)
    # a finished run is not resumed: mmengine would replay the whole data loader to reach its end
    if resume != 'auto' or latest is None or not training_finished(cfg, latest):
        set_resume(cfg, resume)
        build_runner(cfg).train()
        barrier()  # rank 0 saves the checkpoints
        latest = latest_checkpoint(cfg.work_dir)
        if latest is None or not training_finished(cfg, latest):
            raise UserInputError(f'{cfg.work_dir}: training ended without a final checkpoint '
                                 '(default_hooks.checkpoint must save the last iteration)')
    if is_main_process():
        export_backbone(latest, out, pretrained_with=cfg.filename)
    barrier()
    return out


def pretrain(config: str,
             images: Optional[str] = None,
             ann_file: Optional[str] = None,
             img_root: Optional[str] = None,
             work_dir: Optional[str] = None,
             resume: Optional[str] = None,
             cfg_options: Optional[dict] = None,
             launcher: str = 'none') -> str:
    """``tools/pretrain.py``: pretrain a backbone; returns the path of ``backbone.pth``."""
    cfg = pretraining_config(config, images, ann_file, img_root, work_dir, cfg_options, launcher)
    out = run_pretraining(cfg, resume)
    if is_main_process():
        skipped = read_skipped(osp.join(cfg.work_dir, SKIPPED))
        print(f'backbone written to {out}'
              + (f'; {len(skipped)} unreadable images skipped (listed in '
                 f'{osp.join(cfg.work_dir, SKIPPED)})' if skipped else ''), flush=True)
    finish_distributed()
    return out
