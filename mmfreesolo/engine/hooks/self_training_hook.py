"""Self-training: at the end of a round's training, the trained model labels the round's training
images, and those labels train the next round."""
from __future__ import annotations

import os.path as osp
from typing import Optional, Sequence

from mmdet.registry import HOOKS
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import find_latest_checkpoint

from ...checkpoints import file_sha256
from ...errors import UserInputError
from ...fileio.configs import annotated_dataset, dataset_paths
from ...pseudo_labels.image_records import list_images
from ...pseudo_labels.images_to_label import inference_pipeline
from ...pseudo_labels.label_file import label_file_complete
from ...pseudo_labels.labelling import write_label_file
from ...pseudo_labels.mask_refinement import AffinityMaskRefinement
from ...pseudo_labels.prediction_selection import PredictionSelection


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
        mask_refinement: arguments of an :class:`AffinityMaskRefinement` that snaps the kept
            masks to the image's colour edges (``dict()``: its defaults); None: masks as
            predicted.
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
                 pipeline: Optional[Sequence[dict]] = None,
                 mask_refinement: Optional[dict] = None) -> None:
        if batch_size < 1 or chunk_size < 1:
            raise UserInputError('SelfTrainingHook: batch_size and chunk_size must be positive')
        self.out_file = out_file
        self.selection = PredictionSelection(score_thr, max_per_img, max_width_ratio)
        self.batch_size = batch_size
        self.chunk_size = chunk_size
        self.num_workers = num_workers
        self.pipeline = pipeline
        self.refinement = (AffinityMaskRefinement.from_settings(mask_refinement)
                           if mask_refinement is not None else None)

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
        if label_file_complete(out):
            runner.logger.info(f'self-training labels {out} are complete; not redone')
            return out
        dataset = annotated_dataset(runner.cfg.train_dataloader)
        if dataset.get('data_prefix', {}).get('img') is None:
            raise UserInputError('SelfTrainingHook: the training dataset has no ann_file and '
                                 'data_prefix.img to take its images from')
        ann_file, img_root = dataset_paths(dataset)
        records = list_images(ann_file=ann_file, img_root=img_root)
        if checkpoint is None:
            checkpoint = find_latest_checkpoint(runner.work_dir) or runner.cfg.get('load_from')
        iteration = runner.iter if iteration is None else iteration
        selection = dict(score_thr=self.selection.score_thr,
                         max_per_img=self.selection.max_per_img,
                         max_width_ratio=self.selection.max_width_ratio)
        info = dict(description='Self-training pseudo-labels (mmfreesolo)',
                    config=osp.basename(runner.cfg.filename) if runner.cfg.filename else None,
                    iter=iteration, checkpoint=checkpoint, selection=selection)
        runner.logger.info(f'self-training: labelling {len(records)} training images of '
                           f'{ann_file} with the model at iteration {iteration} '
                           f'({get_world_size()} process(es)) into {out}')
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        was_training = model.training
        model.eval()
        write_label_file(
            model, records, self._pipeline(runner), out, info, ann_file,
            chunk_size=self.chunk_size, batch_size=self.batch_size, workers=self.num_workers,
            select=self.selection, refine=self.refinement,
            manifest_extra=dict(
                trained_on=ann_file, iter=iteration, checkpoint=checkpoint,
                checkpoint_sha256=(file_sha256(checkpoint)
                                   if checkpoint and osp.isfile(checkpoint) else None),
                selection=selection,
                mask_refinement=self.refinement.settings() if self.refinement else None))
        model.train(was_training)
        runner.logger.info(f'self-training: wrote the labels of {len(records)} images to {out}')
        return out

    def _pipeline(self, runner) -> Sequence[dict]:
        return self.pipeline if self.pipeline is not None else inference_pipeline(runner.cfg)
