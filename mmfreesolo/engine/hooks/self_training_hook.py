"""Self-training: at the end of a round's training, the trained model labels the round's training
images, and those labels train the next round."""
from __future__ import annotations

import json
import os.path as osp
import shutil
from collections import Counter
from typing import Optional, Sequence

from mmdet.registry import HOOKS
from mmengine.dist import barrier, broadcast_object_list, get_dist_info
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import find_latest_checkpoint

from ...atomic_write import write_json_atomic
from ...checkpoints import file_sha256
from ...errors import UserInputError
from ...pseudo_labels.chunked_labelling import label_chunks, prepare_parts, read_chunks
from ...pseudo_labels.image_source import (chunk_ranges, inference_pipeline, list_digest,
                                           list_images)
from ...pseudo_labels.label_file import FORMAT_VERSION, assemble, label_file_complete
from ...pseudo_labels.prediction_selection import PredictionSelection


def manifest_path(labels_file: str) -> str:
    """Where the manifest of a self-training label file is written."""
    return osp.splitext(labels_file)[0] + '.manifest.json'


def labels_complete(labels_file: str) -> bool:
    """Whether a self-training label file and its manifest were fully written."""
    return label_file_complete(labels_file) and osp.isfile(manifest_path(labels_file))


@HOOKS.register_module()
class SelfTrainingHook(Hook):
    """After training, label every training image with the trained model and write the
    pseudo-label file of the next round, with a manifest of the round.

    The images are those of the training dataset's annotation file (all of them, also those its
    ``min_score`` left without labels), read with the test pipeline. Chunks of images are dealt
    to the ranks, each image labelled once; rank 0 assembles the file. Labelling is resumable:
    finished chunks are kept in ``<out_file>.parts/`` and a rerun does only the others.

    Args:
        out_file: the label file; default ``<work_dir>/self_training_labels.json``.
        score_thr, max_per_img, max_width_ratio: see :class:`PredictionSelection`.
        batch_size: images per forward.
        chunk_size: images per atomically written chunk (the unit of resuming).
        num_workers: image loading processes.
        pipeline: the pipeline images are read with; default the test (else val) dataloader's,
            else the config's ``test_pipeline``.
    """
    priority = 'VERY_LOW'  # after the CheckpointHook has saved the last weights

    def __init__(self,
                 out_file: Optional[str] = None,
                 score_thr: float = 0.3,
                 max_per_img: int = 20,
                 max_width_ratio: float = 0.95,
                 batch_size: int = 1,
                 chunk_size: int = 64,
                 num_workers: int = 0,
                 pipeline: Optional[Sequence[dict]] = None) -> None:
        if batch_size < 1 or chunk_size < 1:
            raise UserInputError('SelfTrainingHook: batch_size and chunk_size must be positive')
        self.out_file = out_file
        self.selection = PredictionSelection(score_thr, max_per_img, max_width_ratio)
        self.batch_size = batch_size
        self.chunk_size = chunk_size
        self.num_workers = num_workers
        self.pipeline = pipeline

    def after_train(self, runner) -> None:
        self.make_labels(runner)

    def labels_file(self, runner) -> str:
        return self.out_file or osp.join(runner.work_dir, 'self_training_labels.json')

    def make_labels(self, runner, checkpoint: Optional[str] = None,
                    iteration: Optional[int] = None) -> str:
        """Label the training images with ``runner.model``; returns the label file.

        ``checkpoint`` and ``iteration`` say which weights the model holds, when they were
        loaded rather than trained by ``runner`` (default: its latest checkpoint and iter).
        """
        out = self.labels_file(runner)
        if labels_complete(out):
            runner.logger.info(f'self-training labels {out} are complete; not redone')
            return out
        records, ann_file = self._training_images(runner)
        parts = out + '.parts'
        info = self._run_info(runner, records, ann_file, checkpoint, iteration)
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

        chunks = chunk_ranges(len(records), self.chunk_size, rank, world_size)
        runner.logger.info(f'self-training: labelling {len(records)} training images of '
                           f'{ann_file} with the model at iteration {info["iter"]} '
                           f'({world_size} process(es)) into {out}')
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        was_training = model.training
        model.eval()
        label_chunks(model, records, self._pipeline(runner), parts, chunks, self.batch_size,
                     self.num_workers, select=self.selection, progress=rank == 0)
        model.train(was_training)
        barrier()
        if rank == 0:
            all_chunks = list(chunk_ranges(len(records), self.chunk_size))
            images, annotations, skipped, dropped = read_chunks(parts, all_chunks)
            labels = assemble(images, annotations, skipped, info)
            write_json_atomic(out, labels)
            write_json_atomic(manifest_path(out), self._manifest(out, labels, dropped),
                              indent=2)
            shutil.rmtree(parts)
            runner.logger.info(f'self-training: wrote {labels["info"]["num_masks"]} labels of '
                               f'{len(images)} images to {out}')
        barrier()
        return out

    def _training_images(self, runner):
        dataset = runner.train_dataloader.dataset
        while not hasattr(dataset, 'ann_file') and hasattr(dataset, 'dataset'):
            dataset = dataset.dataset  # MultiImageMixDataset, RepeatDataset, ...
        ann_file = getattr(dataset, 'ann_file', None)
        img_root = getattr(dataset, 'data_prefix', {}).get('img')
        if not ann_file or img_root is None:
            raise UserInputError('SelfTrainingHook: the training dataset has no ann_file and '
                                 'data_prefix.img to take its images from')
        return list_images(ann_file=ann_file, img_root=img_root), ann_file

    def _pipeline(self, runner) -> Sequence[dict]:
        return self.pipeline if self.pipeline is not None else inference_pipeline(runner.cfg)

    def _run_info(self, runner, records, ann_file: str, checkpoint: Optional[str],
                  iteration: Optional[int]) -> dict:
        if checkpoint is None:
            checkpoint = find_latest_checkpoint(runner.work_dir) or runner.cfg.get('load_from')
        info = dict(
            description='Self-training pseudo-labels (mmfreesolo)',
            version=FORMAT_VERSION,
            config=osp.basename(runner.cfg.filename) if runner.cfg.filename else None,
            iter=runner.iter if iteration is None else iteration,
            checkpoint=checkpoint,
            selection=dict(score_thr=self.selection.score_thr,
                           max_per_img=self.selection.max_per_img,
                           max_width_ratio=self.selection.max_width_ratio),
            source=dict(path=ann_file, num_images=len(records),
                        list_sha256=list_digest(records)),
            chunk_size=self.chunk_size,
            batch_size=self.batch_size)
        return json.loads(json.dumps(info))  # as it reads back from a file

    def _manifest(self, out: str, labels: dict, dropped: dict) -> dict:
        info = labels['info']
        counts = Counter(ann['image_id'] for ann in labels['annotations'])
        per_image = [counts.get(img['id'], 0) for img in labels['images']]
        checkpoint = info['checkpoint']
        return dict(
            labels=out,
            trained_on=info['source']['path'],
            iter=info['iter'],
            checkpoint=checkpoint,
            checkpoint_sha256=(file_sha256(checkpoint) if checkpoint and osp.isfile(checkpoint)
                               else None),
            selection=info['selection'],
            num_images=info['num_images'],
            num_skipped=len(info['skipped']),
            num_masks=info['num_masks'],
            images_without_masks=per_image.count(0),
            max_masks_per_image=max(per_image, default=0),
            dropped=dropped)
