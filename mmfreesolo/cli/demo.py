"""Draw what a trained model, or Free Mask alone, finds on any images."""
from __future__ import annotations

import argparse
import os
import os.path as osp
from typing import List, Optional

import cv2
import torch
from mmengine.structures import InstanceData

from ..engine.free_mask_labelling import build_free_mask, free_mask_refinement
from ..engine.model_labelling import build_trained_model
from ..errors import UserInputError, exit_on_user_error
from ..fileio.configs import load_config
from ..fileio.images import read_image
from ..pseudo_labels.image_records import ImageRecord, list_images
from ..pseudo_labels.images_to_label import inference_pipeline
from ..pseudo_labels.labelling import label_images
from ..visualization.label_pictures import annotations_to_instances
from ..visualization.stage_pictures import draw_panel


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Overlays of the instances a FreeSOLO model (with its checkpoint) or a Free '
        'Mask config finds on an image or a folder of images')
    parser.add_argument('images', help='an image file, or a folder (searched recursively)')
    parser.add_argument('--config', required=True, help='a training config, or a Free Mask one')
    parser.add_argument('--checkpoint', help='the trained weights (needed for a training '
                        'config; for Free Mask, backbone weights instead of the config\'s)')
    parser.add_argument('--out', required=True, help='folder for the PNG overlays')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='draw predictions scored at least this (default 0.3, the '
                        'self-training cut; Free Mask applies its own)')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    return parser


def _records(path: str) -> List[ImageRecord]:
    if osp.isfile(path):
        return [ImageRecord(1, osp.basename(path), path)]
    return list_images(path)


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> List[str]:
    args = build_parser().parse_args(argv)
    cfg = load_config(args.config)
    records = _records(args.images)
    if cfg.model.get('type') == 'FreeMask':
        if args.checkpoint:
            cfg.model.backbone_checkpoint = args.checkpoint
        model, pipeline, select, title = build_free_mask(cfg, args.device), cfg.test_pipeline, \
            None, 'Free Mask'
        refine = free_mask_refinement(cfg)
    else:
        if not args.checkpoint:
            raise UserInputError(f'{args.config} is a training config: give its --checkpoint')
        model = build_trained_model(cfg, args.checkpoint, args.device)
        pipeline = inference_pipeline(cfg)
        title = osp.splitext(osp.basename(args.checkpoint))[0]
        refine = None  # the model's predictions as they are

        def select(instances: InstanceData):
            return instances[instances.scores >= args.score_thr], {}

    os.makedirs(args.out, exist_ok=True)
    written = []
    for record, result in zip(records, label_images(model, records, pipeline, args.batch_size,
                                                    select, refine)):
        if result['skip'] is not None:
            print(f'skipped {record.file_name}: {result["skip"]}')
            continue
        image = read_image(record.path)[..., ::-1]
        masks, boxes, scores = annotations_to_instances(result['annotations'], image.shape[:2])
        target = osp.join(args.out, osp.splitext(record.file_name.replace('/', '_'))[0] + '.png')
        cv2.imwrite(target, draw_panel(image, f'{title}: {len(masks)} instances', masks, boxes,
                                       scores)[..., ::-1])
        written.append(target)
    print(f'wrote {len(written)} overlays to {args.out}')
    return written


if __name__ == '__main__':
    main()
