"""The Free Mask stage: a Free Mask config and a set of images in, a pseudo-label file out."""
from __future__ import annotations

import os.path as osp
from typing import Optional, Sequence

import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ..adaptations.cpu_heap import retain_freed_memory
from ..checkpoints import file_sha256, resolve_checkpoint_path
from ..errors import UserInputError
from ..fileio.configs import load_config
from ..pseudo_labels.image_records import ImageRecord, list_images
from ..pseudo_labels.label_file import label_file_complete
from ..pseudo_labels.labelling import AMP_DTYPES, write_label_file
from ..pseudo_labels.mask_refinement import AffinityMaskRefinement
from ..pseudo_labels.shards import shard_path


def build_free_mask(cfg: Config, device: str = 'cpu') -> torch.nn.Module:
    """The config's Free Mask model with its backbone weights loaded, in eval mode."""
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.to(device).eval()


def free_mask_refinement(cfg: Config) -> Optional[AffinityMaskRefinement]:
    """The refinement of the config's ``mask_refinement`` (AffinityMaskRefinement's arguments)
    that Free Mask's masks go through before they are written; None if it has none."""
    settings = cfg.get('mask_refinement')
    return AffinityMaskRefinement.from_settings(settings) if settings is not None else None


def free_mask_info(cfg: Config) -> dict:
    """What a label file records about the Free Mask model that made it."""
    checkpoint = cfg.model.get('backbone_checkpoint')
    return dict(
        description='Free Mask pseudo-labels (mmfreesolo)',
        config=osp.basename(cfg.filename) if cfg.filename else None,
        model=cfg.model.to_dict(),
        checkpoint=checkpoint,
        checkpoint_sha256=file_sha256(resolve_checkpoint_path(checkpoint)) if checkpoint else None)


def run_free_mask(cfg: Config,
                  records: Sequence[ImageRecord],
                  out: str,
                  source: str,
                  shard_id: int = 0,
                  num_shards: int = 1,
                  batch_size: int = 1,
                  chunk_size: int = 64,
                  workers: int = 0,
                  device: str = 'cpu',
                  amp: Optional[str] = None,
                  progress: bool = True) -> str:
    """Label ``records`` (this shard's chunks of them; in a distributed run, shared by the
    ranks) with the config's Free Mask; returns the path written (``out`` or its shard)."""
    target = shard_path(out, shard_id, num_shards)
    if label_file_complete(target):  # nothing to do: not even the model is built
        print(f'{target} is complete; nothing to do')
        return target
    refine = free_mask_refinement(cfg)  # its settings checked before the model is built
    model = build_free_mask(cfg, device)
    return write_label_file(model, records, cfg.test_pipeline, out, free_mask_info(cfg), source,
                            chunk_size=chunk_size, batch_size=batch_size, workers=workers,
                            amp=amp, shard_id=shard_id, num_shards=num_shards,
                            progress=progress, refine=refine)


def label_with_free_mask(config: str,
                         out: str,
                         images: Optional[str] = None,
                         ann_file: Optional[str] = None,
                         img_root: Optional[str] = None,
                         checkpoint: Optional[str] = None,
                         shard_id: int = 0,
                         num_shards: int = 1,
                         batch_size: Optional[int] = None,
                         chunk_size: int = 64,
                         workers: int = 2,
                         device: Optional[str] = None,
                         amp: Optional[str] = None,
                         progress: bool = True,
                         check_only: bool = False,
                         cfg_options: Optional[dict] = None) -> str:
    """Free Mask as a process of its own (``tools/free_mask.py``, a Slurm array task): the
    config, checkpoint and images checked, then :func:`run_free_mask`.

    Args:
        images: a folder (searched recursively), or ``ann_file`` + ``img_root``: the images a
            COCO json lists, their ids kept.
        checkpoint: backbone weights instead of the config's ``model.backbone_checkpoint``.
        batch_size: default 4 on CUDA, 1 on the CPU (larger batches measured slower per image).
        device: default the config's ``device``, else CUDA when available.
        amp: 'fp16' or 'bf16' autocast of the backbone (CUDA).
        check_only: check everything, label nothing.
    """
    cfg = load_config(config, cfg_options)
    device = device or cfg.get('device') or ('cuda' if torch.cuda.is_available() else 'cpu')
    if amp is not None and (amp not in AMP_DTYPES or not device.startswith('cuda')):
        raise UserInputError(f'--amp {amp}: one of {sorted(AMP_DTYPES)}, on a CUDA --device')
    if cfg.model.get('type') != 'FreeMask':
        raise UserInputError(f'{config}: not a Free Mask config (model.type is '
                             f'{cfg.model.get("type")!r})')
    if checkpoint:
        cfg.model.backbone_checkpoint = checkpoint
    records = list_images(images, ann_file, img_root)
    if check_only:
        free_mask_refinement(cfg)  # checks its settings
        build_free_mask(cfg)  # loads the backbone checkpoint strictly
        print(f'{config}: {len(records)} images to label into {out}')
        return out
    if device == 'cpu':  # measured for a process that runs Free Mask alone (cpu_heap.py)
        retain_freed_memory()
    path = run_free_mask(cfg, records, out, source=images or ann_file, shard_id=shard_id,
                         num_shards=num_shards,
                         batch_size=batch_size or (4 if device.startswith('cuda') else 1),
                         chunk_size=chunk_size, workers=workers, device=device, amp=amp,
                         progress=progress)
    print(f'wrote {path}')
    return path
