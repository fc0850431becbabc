"""The images of a labelling run read and prepared for the model; a file that fails to load
yields a failure record instead of ending the run."""
from __future__ import annotations

from typing import Sequence

from mmcv.transforms import Compose, LoadAnnotations, LoadImageFromFile
from mmdet.registry import TRANSFORMS
from torch.utils.data import Dataset

from ..errors import UserInputError
from ..fileio.images import read_image
from .image_records import ImageRecord
from .labelling_failures import describe_failure


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


class ImagesToLabel(Dataset):
    """Images read and prepared for the model; a file that fails yields a skip record.

    Each item is ``dict(record=ImageRecord, index=its position, sample=packed inputs or None,
    failure=None or a :func:`~.labelling_failures.describe_failure` dict, shape=(H, W) or
    None, image=the decoded (H, W, 3) uint8 BGR image or None)``; the image is what a
    :class:`~.mask_refinement.AffinityMaskRefinement` reads colours from.
    """

    def __init__(self, records: Sequence[ImageRecord], pipeline: Sequence[dict]) -> None:
        self.records = list(records)
        # this dataset reads the images itself: the config's loading steps (whatever their
        # scope prefix) are left out
        steps = [TRANSFORMS.build(step) for step in pipeline]
        self.pipeline = Compose([step for step in steps
                                 if not isinstance(step, (LoadImageFromFile, LoadAnnotations))])

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict:
        record = self.records[index]
        failed = dict(record=record, index=index, sample=None, shape=None, image=None)
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
        return dict(record=record, index=index, sample=sample, failure=None, shape=shape,
                    image=image)


def keep_list(batch: list) -> list:
    """A collate function that leaves the batch a list (skips and samples together)."""
    return batch
