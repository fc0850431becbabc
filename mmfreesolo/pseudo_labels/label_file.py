"""The pseudo-label file: a COCO json of class-agnostic masks, and the manifest beside it.

Layout: compact JSON, keys in the order annotations, images, info, categories (written as
:mod:`.label_file_stream` streams them); category 1 "object"; per annotation an RLE mask at the
image's resolution, its XYWH box and area computed from the mask (integers), ``score`` (decayed
maskness) and, when asked for (the Free Mask model's ``emb_dim``), ``emb``: the mask's
embedding as base64 of little-endian float16 (about a quarter of the text that the same vector
takes as JSON numbers, which dominated a COCO-scale file; version 1 files hold a list of
numbers, and :func:`decode_embedding` reads both).
``info`` records the run (config, checkpoint and its sha256, the image list's digest), counts
and the skipped files. The manifest (``<stem>.manifest.json``) holds the counts at a glance:
masks, images without masks, what the selection dropped.
"""
from __future__ import annotations

import base64
import os.path as osp
from typing import Dict, List, Sequence, Union

import numpy as np
from mmengine.structures import InstanceData

from ..structures import mask_to_annotation

FORMAT_VERSION = 2


def encode_embedding(vector: np.ndarray) -> str:
    """(D, ) floats -> base64 text of their little-endian float16 values."""
    return base64.b64encode(np.asarray(vector, dtype='<f2').tobytes()).decode('ascii')


def decode_embedding(value: Union[str, Sequence[float]]) -> np.ndarray:
    """An annotation's ``emb`` in either form (base64 float16 text, or a list of numbers) ->
    (D, ) float32."""
    if isinstance(value, str):
        return np.frombuffer(base64.b64decode(value, validate=True), dtype='<f2').astype(
            np.float32)
    return np.asarray(value, dtype=np.float32)


def instances_to_annotations(instances: InstanceData) -> List[dict]:
    """COCO annotations (without ids) of one image's predicted instances.

    ``instances.masks`` (N, H, W) bool, ``scores`` (N, ), optionally ``embeddings`` (N, D).
    """
    masks = instances.masks.cpu().numpy()
    scores = instances.scores.float().cpu().numpy()
    embeddings = (instances.embeddings.float().cpu().numpy()
                  if 'embeddings' in instances else None)
    annotations = []
    for i, mask in enumerate(masks):
        ann = dict(category_id=1, **mask_to_annotation(mask), score=round(float(scores[i]), 6))
        if embeddings is not None:
            ann['emb'] = encode_embedding(embeddings[i])
        annotations.append(ann)
    return annotations


def label_file_complete(path: str) -> bool:
    """Whether a label file was fully written: it is there and no unfinished chunks are beside
    it (a run writes ``<path>.parts/`` first and removes it last, after the manifest)."""
    return osp.isfile(path) and not osp.isdir(path + '.parts')


def manifest_path(labels_file: str) -> str:
    """Where the manifest of a label file is written."""
    return osp.splitext(labels_file)[0] + '.manifest.json'


def manifest(labels_file: str, info: dict, masks_per_image: Sequence[int],
             dropped: Dict[str, int], **extra) -> dict:
    """The manifest of a written label file: its counts (``info`` as the file records it, and
    the number of masks of each image), what the selection of predictions dropped per rule,
    and ``extra`` (what the caller's run adds, e.g. the checkpoint)."""
    return dict(labels=labels_file, num_images=info['num_images'],
                num_skipped=len(info['skipped']), num_masks=info['num_masks'],
                images_without_masks=sum(1 for n in masks_per_image if n == 0),
                max_masks_per_image=max(masks_per_image, default=0),
                dropped=dict(sorted(dropped.items())), **extra)
