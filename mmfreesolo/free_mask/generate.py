"""Running Free Mask over many images: batched, sharded, resumable.

Results are written chunk by chunk, each chunk atomically, into ``<out>.parts/``; a run killed at
any point and started again redoes only the unfinished chunk. Once every chunk is there the label
file is assembled atomically and the parts are removed. Batches never cross a chunk, and chunks
are dealt to shards whole, so every image is processed in the same batch whether the run is
single, resumed or sharded: the outputs are identical.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import os.path as osp
import shutil
from typing import List, Optional, Sequence

import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader

from ..atomic_write import write_json_atomic
from ..checkpoints import resolve_checkpoint_path
from ..datasets.coco_file_check import read_json
from ..errors import UserInputError
from .image_source import FreeMaskImages, ImageRecord, chunk_ranges, keep_list, list_digest
from .label_file import FORMAT_VERSION, assemble, instances_to_annotations, shard_path

AMP_DTYPES = {'fp16': torch.float16, 'bf16': torch.bfloat16}


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


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


def _predict(model, samples: List[dict], amp: Optional[str]) -> list:
    autocast = (torch.autocast('cuda', dtype=AMP_DTYPES[amp]) if amp
                else contextlib.nullcontext())
    with torch.no_grad(), autocast:
        return model.test_step(pseudo_collate(samples))


def label_batch(model, batch: List[dict], amp: Optional[str] = None) -> List[dict]:
    """Labels of one batch of :class:`FreeMaskImages` items.

    Returns per item ``dict(record, index, image=COCO image entry or None, annotations, skip)``. If the
    batch fails as a whole, its images are retried one by one so that one image cannot sink
    the others.
    """
    ready = [item for item in batch if item['skip'] is None]
    if ready:
        try:
            for item, pred in zip(ready, _predict(model, [i['sample'] for i in ready], amp)):
                item['prediction'] = pred
        except Exception:
            for item in ready:
                try:
                    item['prediction'] = _predict(model, [item['sample']], amp)[0]
                except Exception as e:
                    item['skip'] = f'{type(e).__name__}: {e}'
    labelled = []
    for item in batch:
        record = item['record']
        result = dict(record=record, index=item['index'], image=None, annotations=[],
                      skip=item['skip'])
        if item['skip'] is None:
            height, width = item['shape']
            result['image'] = dict(id=record.id, file_name=record.file_name, height=height,
                                   width=width)
            result['annotations'] = instances_to_annotations(
                item['prediction'].pred_instances)
        labelled.append(result)
    return labelled


def _chunk_file(parts: str, chunk: int) -> str:
    return osp.join(parts, f'chunk-{chunk:06d}.json')


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
    if osp.isfile(target) and not osp.isdir(parts):
        print(f'{target} is complete; nothing to do')
        return target

    info = run_info(cfg, records, source, chunk_size, batch_size, shard_id, num_shards)
    os.makedirs(parts, exist_ok=True)
    for name in os.listdir(parts):
        if name.startswith('.'):  # a temporary file of a write that a kill interrupted
            os.unlink(osp.join(parts, name))
    run_file = osp.join(parts, 'run.json')
    if osp.isfile(run_file) and read_json(run_file) != info:
        raise UserInputError(f'{parts} holds a run with other settings (config, checkpoint, '
                             'images, batch or chunk size); remove it or choose another --out')
    write_json_atomic(run_file, info)

    chunks = chunk_ranges(len(records), chunk_size, shard_id, num_shards)
    todo = [k for k in chunks if not osp.isfile(_chunk_file(parts, k))]
    batches = [list(chunks[k])[i:i + batch_size] for k in todo
               for i in range(0, len(chunks[k]), batch_size)]
    if todo:
        done = len(chunks) - len(todo)
        print(f'Free Mask: {sum(len(chunks[k]) for k in todo)} images in {len(todo)} chunks '
              f'to do, {done} chunks done before')
        model = build_free_mask(cfg, device)
        loader = DataLoader(FreeMaskImages(records, cfg.test_pipeline), batch_sampler=batches,
                            num_workers=workers, collate_fn=keep_list)
        bar = ProgressBar(sum(len(b) for b in batches)) if progress else None
        pending = {k: dict(images=[], annotations={}, skipped=[], left=len(chunks[k]))
                   for k in todo}
        for batch in loader:
            for result in label_batch(model, batch, amp):
                k = result['index'] // chunk_size
                chunk = pending[k]
                if result['skip'] is None:
                    chunk['images'].append(result['image'])
                    chunk['annotations'][result['image']['id']] = result['annotations']
                else:
                    chunk['skipped'].append(dict(file_name=result['record'].file_name,
                                                 reason=result['skip']))
                chunk['left'] -= 1
                if chunk['left'] == 0:
                    del chunk['left']
                    write_json_atomic(_chunk_file(parts, k), pending.pop(k))
            if bar is not None:
                bar.update(len(batch))
        if bar is not None:
            print()

    images, annotations, skipped = [], {}, []
    for k in sorted(chunks):
        part = read_json(_chunk_file(parts, k))
        images.extend(part['images'])
        skipped.extend(part['skipped'])
        annotations.update({int(i): anns for i, anns in part['annotations'].items()})
    write_json_atomic(target, assemble(images, annotations, skipped, info))
    shutil.rmtree(parts)
    for entry in skipped:
        print(f'skipped {entry["file_name"]}: {entry["reason"]}')
    return target
