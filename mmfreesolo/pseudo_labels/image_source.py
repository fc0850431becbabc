"""The images a model labels (Free Mask, or a self-training round): listing them, splitting them
into chunks and shards, and loading each one so that a bad file becomes a recorded skip instead
of a crash."""
from __future__ import annotations

import hashlib
import io
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmcv.transforms import Compose
from mmdet.registry import TRANSFORMS
from PIL import Image, ImageOps
from torch.utils.data import Dataset

from ..datasets.coco_file_check import check_coco_file
from ..errors import UserInputError
from .labelling_failures import describe_failure

# Steps of a config's test pipeline that read files; the dataset below reads images itself.
_LOADING_STEPS = ('LoadImageFromFile', 'LoadAnnotations')


@dataclass(frozen=True)
class ImageRecord:
    id: int
    file_name: str   # as written to the output: relative to the image folder, '/'-separated
    path: str


def list_images(images_dir: Optional[str] = None,
                ann_file: Optional[str] = None,
                img_root: Optional[str] = None) -> List[ImageRecord]:
    """Every file under ``images_dir`` (sorted; ids 1..N), or the images of a COCO json
    (their ids and file names, read from ``img_root``)."""
    if (images_dir is None) == (ann_file is None):
        raise UserInputError('give either an image folder or an annotation file')
    if ann_file is not None:
        if img_root is None:
            raise UserInputError(f'{ann_file}: give the folder its file_names are relative to')
        data = check_coco_file(ann_file)
        return [ImageRecord(img['id'], img['file_name'], osp.join(img_root, img['file_name']))
                for img in data['images']]
    if not osp.isdir(images_dir):
        raise UserInputError(f'{images_dir}: no such folder')
    names = []
    for folder, dirs, files in os.walk(images_dir):
        dirs.sort()
        names.extend(osp.relpath(osp.join(folder, f), images_dir) for f in files
                     if not f.startswith('.'))
    if not names:
        raise UserInputError(f'{images_dir}: the folder holds no files')
    names.sort()
    return [ImageRecord(i + 1, name.replace(os.sep, '/'), osp.join(images_dir, name))
            for i, name in enumerate(names)]


def list_digest(records: Sequence[ImageRecord]) -> str:
    """A digest of the image list: runs that resume or merge must agree on it."""
    digest = hashlib.sha256()
    for r in records:
        digest.update(f'{r.id}\t{r.file_name}\n'.encode('utf-8', 'surrogateescape'))
    return digest.hexdigest()


def chunk_ranges(num_images: int, chunk_size: int, shard_id: int = 0,
                 num_shards: int = 1) -> Dict[int, range]:
    """Positions of the images of each chunk of one shard, keyed by global chunk index.

    Chunks are dealt to shards in turn, so a chunk holds the same images (and is cut into the
    same batches) in a single run, a resumed run and a sharded run.
    """
    return {k: range(start, min(start + chunk_size, num_images))
            for k, start in enumerate(range(0, num_images, chunk_size))
            if k % num_shards == shard_id}


def inference_pipeline(cfg) -> Sequence[dict]:
    """The pipeline a config reads images for inference with: its test (else val) dataloader's,
    else its ``test_pipeline`` (a config without ground truth has no such dataloaders)."""
    for split in ('test', 'val'):
        loader = cfg.get(f'{split}_dataloader')
        if loader and loader.get('dataset', {}).get('pipeline'):
            return loader['dataset']['pipeline']
    if cfg.get('test_pipeline'):
        return cfg.test_pipeline
    raise UserInputError(f'{cfg.filename}: no test or val dataloader, nor a test_pipeline, to '
                         'read images with')


def read_image(path: str) -> np.ndarray:
    """Decode any common image as (H, W, 3) uint8 BGR, upright per its EXIF orientation.

    Grayscale, alpha, 16-bit and CMYK images are converted. Raises ``ValueError`` with the
    reason for anything that is not a readable image.
    """
    with open(path, 'rb') as f:
        data = f.read()
    if not data:
        raise ValueError('empty file')
    # IMREAD_COLOR applies EXIF orientation, drops alpha, scales 16 bits to 8, converts CMYK
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        try:
            with Image.open(io.BytesIO(data)) as pil:
                pil.load()
                image = np.asarray(ImageOps.exif_transpose(pil).convert('RGB'))[..., ::-1]
        except Exception as e:  # PIL raises many types for undecodable data
            raise ValueError(f'not a readable image ({type(e).__name__})') from None
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError('image has no pixels')
    return np.ascontiguousarray(image)


class ImagesToLabel(Dataset):
    """Images read and prepared for the model; a file that fails yields a skip record.

    Each item is ``dict(record=ImageRecord, index=its position, sample=packed inputs or None,
    failure=None or a :func:`~.labelling_failures.describe_failure` dict, shape=(H, W) or
    None)``.
    """

    def __init__(self, records: Sequence[ImageRecord], pipeline: Sequence[dict]) -> None:
        self.records = list(records)
        self.pipeline = Compose([TRANSFORMS.build(step) for step in pipeline
                                 if step['type'] not in _LOADING_STEPS])

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict:
        record = self.records[index]
        failed = dict(record=record, index=index, sample=None, shape=None)
        try:
            image = read_image(record.path)
        except (OSError, ValueError) as e:  # the file itself
            return dict(failed, failure=dict(describe_failure('read', e), message=str(e)))
        shape = image.shape[:2]
        try:
            sample = self.pipeline(dict(img=image, img_shape=shape, ori_shape=shape,
                                        img_id=record.id, img_path=record.path))
        except Exception as e:  # FailureGuard decides whether the image or the run is at fault
            return dict(failed, failure=describe_failure('pipeline', e))
        return dict(record=record, index=index, sample=sample, failure=None, shape=shape)


def keep_list(batch: list) -> list:
    """A collate function that leaves the batch a list (skips and samples together)."""
    return batch
