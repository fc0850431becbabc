"""Running Free Mask over many images: batched, sharded, resumable.

Chunks of labels go to ``<out>.parts/`` (:mod:`..pseudo_labels.chunked_labelling`); once every
chunk of the shard is there the label file is assembled atomically and the parts are removed.
"""
from __future__ import annotations

import json
import os.path as osp
import shutil
from typing import Optional, Sequence

import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ..atomic_write import write_json_atomic
from ..checkpoints import file_sha256, resolve_checkpoint_path
from ..errors import UserInputError
from ..pseudo_labels.chunked_labelling import (chunk_file, label_chunks, prepare_parts,
                                               read_chunks)
from ..pseudo_labels.image_source import ImageRecord, chunk_ranges, list_digest
from ..pseudo_labels.label_file import (FORMAT_VERSION, assemble, label_file_complete,
                                        shard_path)


def build_free_mask(cfg: Config, device: str = 'cpu') -> torch.nn.Module:
    """The config's Free Mask model with its backbone weights loaded, in eval mode."""
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.to(device).eval()


def run_info(cfg: Config, records: Sequence[ImageRecord], source: str, chunk_size: int,
             batch_size: int, shard_id: int, num_shards: int) -> dict:
    """What a label file records about the run that made it."""
    checkpoint = cfg.model.get('backbone_checkpoint')
    info = dict(
        description='Free Mask pseudo-labels (mmfreesolo)',
        version=FORMAT_VERSION,
        config=osp.basename(cfg.filename) if cfg.filename else None,
        model=cfg.model.to_dict(),
        checkpoint=checkpoint,
        checkpoint_sha256=file_sha256(resolve_checkpoint_path(checkpoint)) if checkpoint else None,
        source=dict(path=source, num_images=len(records), list_sha256=list_digest(records)),
        chunk_size=chunk_size,
        batch_size=batch_size)
    if num_shards > 1:
        info['shard'] = dict(shard_id=shard_id, num_shards=num_shards)
    return json.loads(json.dumps(info))  # as it reads back from a file (tuples become lists)


def run_free_mask(cfg: Config,
                  records: Sequence[ImageRecord],
                  out: str,
                  source: str,
                  shard_id: int = 0,
                  num_shards: int = 1,
                  batch_size: int = 4,
                  chunk_size: int = 64,
                  workers: int = 0,
                  device: str = 'cpu',
                  amp: Optional[str] = None,
                  progress: bool = True) -> str:
    """Label ``records`` (this shard's chunks of them) and write the label file.

    Returns the path written: ``out``, or its shard file when ``num_shards`` > 1.
    """
    if not 0 <= shard_id < num_shards:
        raise UserInputError(f'--shard-id must lie in [0, {num_shards - 1}], got {shard_id}')
    if batch_size < 1 or chunk_size < 1:
        raise UserInputError('--batch-size and --chunk-size must be positive')
    target = shard_path(out, shard_id, num_shards)
    parts = target + '.parts'
    if label_file_complete(target):
        print(f'{target} is complete; nothing to do')
        return target

    info = run_info(cfg, records, source, chunk_size, batch_size, shard_id, num_shards)
    prepare_parts(parts, info)
    chunks = chunk_ranges(len(records), chunk_size, shard_id, num_shards)
    todo = [k for k in chunks if not osp.isfile(chunk_file(parts, k))]
    if todo:
        print(f'Free Mask: {sum(len(chunks[k]) for k in todo)} images in {len(todo)} chunks '
              f'to do, {len(chunks) - len(todo)} chunks done before')
        label_chunks(build_free_mask(cfg, device), records, cfg.test_pipeline, parts, chunks,
                     batch_size, workers, amp, progress=progress)
    images, annotations, skipped, _ = read_chunks(parts, list(chunks))
    write_json_atomic(target, assemble(images, annotations, skipped, info))
    shutil.rmtree(parts)
    for entry in skipped:
        print(f'skipped {entry["file_name"]}: {entry["reason"]}')
    return target
