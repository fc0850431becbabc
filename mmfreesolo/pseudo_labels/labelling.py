"""Labelling images with a model into a label file: the one workflow of Free Mask and of the
self-training rounds (:func:`write_label_file`), batched, resumable and spread over processes.

The images are cut into chunks of ``chunk_size``; each chunk's labels are written atomically to
``<parts>/chunk-NNNNNN.json`` once all its images are done. A run killed at any point and started
again redoes only unfinished chunks. Batches never cross a chunk and chunks are dealt to shards
(or ranks) whole, so every image is processed in the same batch in a single, resumed or sharded
run: the outputs are identical.
"""
from __future__ import annotations

import contextlib
import json
import os
import os.path as osp
import shutil
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.dataset import pseudo_collate
from mmengine.dist import barrier, broadcast_object_list, get_dist_info
from mmengine.structures import InstanceData
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader

from ..errors import UserInputError
from ..fileio.json_files import read_json, write_json_atomic
from .image_records import ImageRecord, chunk_ranges, list_digest
from .images_to_label import ImagesToLabel, keep_list
from .label_file import (FORMAT_VERSION, instances_to_annotations, label_file_complete, manifest,
                         manifest_path)
from .label_file_stream import LabelFileStream
from .labelling_failures import FailureGuard, LabellingStopped, describe_failure
from .mask_refinement import AffinityMaskRefinement
from .shards import shard_path

AMP_DTYPES = {'fp16': torch.float16, 'bf16': torch.bfloat16}

# Chooses which predicted instances become labels; returns them and counts of dropped ones by
# reason.
InstanceSelection = Callable[[InstanceData], Tuple[InstanceData, Dict[str, int]]]


def chunk_file(parts: str, chunk: int) -> str:
    return osp.join(parts, f'chunk-{chunk:06d}.json')


def prepare_parts(parts: str, info: dict) -> None:
    """Create ``parts``, remove temporary files of interrupted writes, and record ``info``.

    A folder whose chunks were written by a run with other settings is an error: they would
    not fit this run (a folder with no chunk yet, e.g. of a run that stopped on its first
    images, is taken over). Call it from one process only (rank 0); the others may still be
    writing.
    """
    os.makedirs(parts, exist_ok=True)
    for name in os.listdir(parts):
        if name.startswith('.'):  # a temporary file of a write that a kill interrupted
            os.unlink(osp.join(parts, name))
    run_file = osp.join(parts, 'run.json')
    has_chunks = any(name.startswith('chunk-') for name in os.listdir(parts))
    if has_chunks and osp.isfile(run_file) and read_json(run_file) != info:
        raise UserInputError(f'{parts} holds a run with other settings (model, checkpoint, '
                             'images, thresholds, batch or chunk size); remove it or write '
                             'elsewhere')
    write_json_atomic(run_file, info)


def _predict(model, samples: List[dict], amp: Optional[str]) -> list:
    autocast = (torch.autocast('cuda', dtype=AMP_DTYPES[amp]) if amp
                else contextlib.nullcontext())
    with torch.no_grad(), autocast:
        return model.test_step(pseudo_collate(samples))


def label_batch(model,
                batch: List[dict],
                amp: Optional[str] = None,
                select: Optional[InstanceSelection] = None,
                guard: Optional[FailureGuard] = None,
                refine: Optional[AffinityMaskRefinement] = None) -> List[dict]:
    """Labels of one batch of :class:`ImagesToLabel` items: ``select`` chooses among the
    predictions, ``refine`` then snaps the chosen masks to the image's colour edges.

    Returns per item ``dict(record, index, image=COCO image entry or None, annotations, skip,
    dropped=Counter)``. If the batch fails as a whole, its images are retried one by one so that
    one image cannot sink the others (and a batch too large for the memory is cured); ``guard``
    (a fresh one by default) decides which failures are the images' own, recorded as skips, and
    raises :class:`~.labelling_failures.LabellingStopped` for the others.
    """
    guard = FailureGuard() if guard is None else guard
    ready = [item for item in batch if item['failure'] is None]
    failures = {item['index']: item['failure'] for item in batch if item['failure'] is not None}
    predictions = {}
    if ready:
        try:
            predictions = dict(zip([i['index'] for i in ready],
                                   _predict(model, [i['sample'] for i in ready], amp)))
        except Exception as e:
            if len(ready) == 1:
                failures[ready[0]['index']] = describe_failure('model', e)
            else:
                for item in ready:
                    try:
                        predictions[item['index']] = _predict(model, [item['sample']], amp)[0]
                    except Exception as e:
                        failures[item['index']] = describe_failure('model', e)
    labelled = []
    for item in batch:
        record = item['record']
        result = dict(record=record, index=item['index'], image=None, annotations=[],
                      skip=None, dropped=Counter())
        if item['index'] in failures:
            result['skip'] = guard.failed(record.file_name, failures[item['index']])
        else:
            guard.succeeded()
            height, width = item['shape']
            result['image'] = dict(id=record.id, file_name=record.file_name, height=height,
                                   width=width)
            instances = predictions[item['index']].pred_instances
            if select is not None:
                instances, dropped = select(instances)
                result['dropped'].update(dropped)
            if refine is not None:
                instances, dropped = refine(instances, item['image'])
                result['dropped'].update(dropped)
            result['annotations'] = instances_to_annotations(instances)
        labelled.append(result)
    return labelled


def label_images(model,
                 records: Sequence[ImageRecord],
                 pipeline: Sequence[dict],
                 batch_size: int = 1,
                 select: Optional[InstanceSelection] = None,
                 refine: Optional[AffinityMaskRefinement] = None) -> List[dict]:
    """:func:`label_batch` results of every image, in order, written nowhere (for pictures)."""
    loader = DataLoader(ImagesToLabel(records, pipeline), batch_size=batch_size,
                        collate_fn=keep_list)
    guard = FailureGuard()
    results = [result for batch in loader
               for result in label_batch(model, batch, select=select, guard=guard,
                                         refine=refine)]
    guard.finish()
    return results


def label_chunks(model,
                 records: Sequence[ImageRecord],
                 pipeline: Sequence[dict],
                 parts: str,
                 chunks: Dict[int, range],
                 batch_size: int = 1,
                 workers: int = 0,
                 amp: Optional[str] = None,
                 select: Optional[InstanceSelection] = None,
                 progress: bool = True,
                 refine: Optional[AffinityMaskRefinement] = None) -> None:
    """Label the images of those ``chunks`` (index -> positions in ``records``) whose chunk
    file is not in ``parts`` yet, writing each chunk file as soon as it is complete.

    A chunk is held back while its failures may still be the run's (:class:`FailureGuard`):
    if the run stops, nothing of those images is recorded and a rerun labels them again.
    """
    todo = {k: chunks[k] for k in sorted(chunks) if not osp.isfile(chunk_file(parts, k))}
    if not todo:
        return
    batches = [list(positions)[i:i + batch_size] for positions in todo.values()
               for i in range(0, len(positions), batch_size)]
    chunk_of = {i: k for k, positions in todo.items() for i in positions}
    loader = DataLoader(ImagesToLabel(records, pipeline), batch_sampler=batches,
                        num_workers=workers, collate_fn=keep_list)
    bar = ProgressBar(sum(len(b) for b in batches)) if progress else None
    pending = {k: dict(images=[], annotations={}, skipped=[], dropped=Counter(),
                       left=len(positions)) for k, positions in todo.items()}
    guard = FailureGuard()
    held = []
    for batch in loader:
        for result in label_batch(model, batch, amp, select, guard, refine):
            k = chunk_of[result['index']]
            chunk = pending[k]
            if result['skip'] is None:
                chunk['images'].append(result['image'])
                chunk['annotations'][result['image']['id']] = result['annotations']
            else:
                chunk['skipped'].append(dict(file_name=result['record'].file_name,
                                             reason=result['skip']))
            chunk['dropped'].update(result['dropped'])
            chunk['left'] -= 1
            if chunk['left'] == 0:
                del chunk['left']
                held.append(k)
            if not guard.in_doubt:
                for k in held:
                    write_json_atomic(chunk_file(parts, k), pending.pop(k))
                held.clear()
        if bar is not None:
            bar.update(len(batch))
    guard.finish()
    for k in held:
        write_json_atomic(chunk_file(parts, k), pending.pop(k))
    if bar is not None:
        print()


def stream_chunks(parts: str, chunk_ids: Sequence[int], stream: LabelFileStream
                  ) -> Dict[str, int]:
    """Add those chunks to ``stream``, one chunk file at a time, each chunk's images by id;
    returns the dropped counts."""
    dropped = Counter()
    for k in sorted(chunk_ids):
        path = chunk_file(parts, k)
        if not osp.isfile(path):
            raise UserInputError(f'{path} is missing: the labelling of chunk {k} did not finish')
        part = read_json(path)
        stream.add(sorted(part['images'], key=lambda img: img['id']),
                   {int(i): anns for i, anns in part['annotations'].items()},
                   part['skipped'], path)
        dropped.update(part.get('dropped', {}))
    if stream.skipped and not stream.num_images:
        first = min(stream.skipped, key=lambda s: s['file_name'])
        raise LabellingStopped(f'every one of the {len(stream.skipped)} images failed, none is '
                               f'labelled (first {first["file_name"]}: {first["reason"]})')
    return dict(sorted(dropped.items()))


def write_label_file(model,
                     records: Sequence[ImageRecord],
                     pipeline: Sequence[dict],
                     out: str,
                     info: dict,
                     source: str,
                     chunk_size: int = 64,
                     batch_size: int = 1,
                     workers: int = 0,
                     amp: Optional[str] = None,
                     select: Optional[InstanceSelection] = None,
                     shard_id: int = 0,
                     num_shards: int = 1,
                     progress: bool = True,
                     manifest_extra: Optional[dict] = None,
                     refine: Optional[AffinityMaskRefinement] = None) -> str:
    """Label ``records`` with ``model`` into a complete label file and its manifest.

    Every process of a distributed run calls it: the chunks are dealt to the ranks, each image
    labelled once, and rank 0 assembles the file. With ``num_shards`` > 1 only this shard's
    chunks are labelled, into the shard's own file (merged by :func:`~.shards.merge_shards`).
    Killed and called again, it labels only the chunks not written yet; a file already complete
    is left as it is.

    Args:
        info: what the label file records about the run (model, checkpoint, ...); the image
            source, chunk and batch sizes are added here. Chunks of a run with other ``info``
            are not reused.
        source: the folder or json the records were listed from.
        manifest_extra: added to the manifest (e.g. the checkpoint of a self-training round).
        refine: snaps the selected masks to the image's colour edges; its settings are part
            of ``info``.

    Returns:
        The path written: ``out``, or its shard file.
    """
    if not 0 <= shard_id < num_shards:
        raise UserInputError(f'the shard id must lie in [0, {num_shards - 1}], got {shard_id}')
    if batch_size < 1 or chunk_size < 1:
        raise UserInputError('the batch and chunk sizes must be positive')
    target = shard_path(out, shard_id, num_shards)
    if label_file_complete(target):
        return target
    if refine is not None:
        info = dict(info, mask_refinement=refine.settings())
    info = dict(info, version=FORMAT_VERSION,
                source=dict(path=source, num_images=len(records),
                            list_sha256=list_digest(records)),
                chunk_size=chunk_size, batch_size=batch_size)
    if num_shards > 1:
        info['shard'] = dict(shard_id=shard_id, num_shards=num_shards)
    info = json.loads(json.dumps(info))  # as it reads back from a file (tuples become lists)
    parts = target + '.parts'
    rank, world_size = get_dist_info()
    error = [None]
    if rank == 0:
        try:
            prepare_parts(parts, info)
        except UserInputError as e:
            error = [str(e)]
    if world_size > 1:
        broadcast_object_list(error)
    if error[0] is not None:
        raise UserInputError(error[0])

    shard_chunks = chunk_ranges(len(records), chunk_size, shard_id, num_shards)
    mine = {k: positions for i, (k, positions) in enumerate(sorted(shard_chunks.items()))
            if i % world_size == rank}
    todo = [k for k in mine if not osp.isfile(chunk_file(parts, k))]
    if todo and rank == 0:
        print(f'labelling {sum(len(mine[k]) for k in todo)} images in {len(todo)} chunks to do, '
              f'{len(mine) - len(todo)} chunks done before'
              + (f' (rank 0 of {world_size})' if world_size > 1 else ''), flush=True)
    label_chunks(model, records, pipeline, parts, mine, batch_size, workers, amp, select,
                 progress=progress and rank == 0, refine=refine)
    barrier()
    if rank == 0:
        # chunks follow the records' order: when their ids increase too (an image folder, a
        # label file), the annotations go straight to the file, without a spill file
        in_id_order = all(a.id < b.id for a, b in zip(records, records[1:]))
        with LabelFileStream(target, in_id_order) as stream:
            dropped = stream_chunks(parts, list(shard_chunks), stream)
            written = stream.write(info)
        write_json_atomic(manifest_path(target),
                          manifest(target, written, stream.masks_per_image, dropped,
                                   **(manifest_extra or {})), indent=2)
        shutil.rmtree(parts)
        for entry in written['skipped']:
            print(f'skipped {entry["file_name"]}: {entry["reason"]}')
    barrier()
    return target
