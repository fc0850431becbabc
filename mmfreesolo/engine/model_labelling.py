"""A trained model labels a set of images (``tools/predict.py``): a config, its checkpoint and the
images in, one class-agnostic COCO label file out (RLE masks, boxes from the masks, scores).

It is the labelling workflow of Free Mask and of the self-training hook: batched, written in
chunks that a rerun does not redo, sharded (``tools/merge_free_mask.py`` joins the shards), bad
images skipped and listed.
"""
from __future__ import annotations

import contextlib
import io
import os.path as osp
from typing import List, Optional

import torch
from mmdet.apis import init_detector
from mmengine.config import Config

from ..checkpoints import check_state_dict_fits, file_sha256, read_state_dict
from ..errors import UserInputError
from ..fileio.configs import load_config
from ..pseudo_labels.image_records import list_images
from ..pseudo_labels.images_to_label import inference_pipeline
from ..pseudo_labels.label_file import label_file_complete
from ..pseudo_labels.labelling import write_label_file
from ..pseudo_labels.prediction_selection import PredictionSelection
from ..pseudo_labels.shards import shard_path
from ..visualization.label_pictures import draw_label_file


def build_trained_model(cfg: Config, checkpoint: str, device: str) -> torch.nn.Module:
    """The config's model with the checkpoint's weights, in eval mode. The checkpoint is read
    with ``weights_only=True`` and must hold every weight of the model, same shapes."""
    state = read_state_dict(checkpoint)
    with contextlib.redirect_stdout(io.StringIO()):  # mmengine prints which loader it used
        model = init_detector(cfg, checkpoint, palette='random', device=device)
    check_state_dict_fits(model, state, checkpoint, cfg.filename or 'the config')
    return model.eval()


def label_with_model(config: str,
                     checkpoint: str,
                     out: str,
                     images: Optional[str] = None,
                     ann_file: Optional[str] = None,
                     img_root: Optional[str] = None,
                     score_thr: float = 0.3,
                     max_per_img: int = 100,
                     shard_id: int = 0,
                     num_shards: int = 1,
                     batch_size: int = 1,
                     chunk_size: int = 64,
                     workers: int = 2,
                     device: Optional[str] = None,
                     show_dir: Optional[str] = None,
                     num_pictures: int = 8,
                     progress: bool = True,
                     cfg_options: Optional[dict] = None) -> str:
    """Write the predictions of ``checkpoint`` on the images (a folder, or a COCO json's
    images) to ``out`` (or its shard file); returns the path written.

    Args:
        score_thr, max_per_img: the predictions kept per image (best first); masks that come
            out empty are dropped.
        show_dir: also draw the first ``num_pictures`` labelled images there.
    """
    cfg = load_config(config, cfg_options)
    if cfg.model.get('type') == 'FreeMask':
        raise UserInputError(f'{config} is a Free Mask config, which needs no checkpoint: '
                             'label with tools/free_mask.py')
    device = device or cfg.get('device') or ('cuda' if torch.cuda.is_available() else 'cpu')
    # no width rule: a trained model's near-full-width masks are its own to keep or not
    selection = PredictionSelection(score_thr, max_per_img, max_width_ratio=None)
    records = list_images(images, ann_file, img_root)
    target = shard_path(out, shard_id, num_shards)
    if not label_file_complete(target):
        model = build_trained_model(cfg, checkpoint, device)
        info = dict(description='Predictions of a trained model (mmfreesolo)',
                    config=osp.basename(config), checkpoint=checkpoint,
                    checkpoint_sha256=file_sha256(checkpoint),
                    selection=dict(score_thr=score_thr, max_per_img=max_per_img))
        write_label_file(model, records, inference_pipeline(cfg), out, info,
                         source=images or ann_file, chunk_size=chunk_size,
                         batch_size=batch_size, workers=workers, select=selection,
                         shard_id=shard_id, num_shards=num_shards, progress=progress)
    else:
        print(f'{target} is complete; nothing to do')
    if show_dir:
        root = images if images else img_root
        pictures: List[str] = draw_label_file(target, root, show_dir, num_images=num_pictures)
        print(f'drew {len(pictures)} images into {show_dir}')
    print(f'wrote {target}')
    return target
