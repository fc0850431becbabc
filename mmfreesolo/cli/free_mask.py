"""Generate Free Mask pseudo-labels for a folder of images or the images of a COCO json."""
from __future__ import annotations

import argparse
from typing import List, Optional

import torch
from mmengine.config import DictAction

from ..cpu_heap import retain_freed_memory
from ..errors import UserInputError, exit_on_user_error
from ..free_mask.generate import build_free_mask, run_free_mask
from ..pseudo_labels.chunked_labelling import AMP_DTYPES
from ..pseudo_labels.image_source import list_images
from .config_checks import load_config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Free Mask: class-agnostic pseudo-labels from unlabeled images. Killed and '
        'run again with the same arguments, it continues where it stopped.')
    parser.add_argument('config', help='a Free Mask config (configs/free_mask/)')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--images', help='folder of images (searched recursively)')
    source.add_argument('--ann-file', help='COCO json listing the images (ids are kept)')
    parser.add_argument('--img-root', help='folder the --ann-file file_names are relative to')
    parser.add_argument('--out', required=True, help='the label file (COCO json) to write')
    parser.add_argument('--checkpoint', help='backbone weights, instead of the config\'s '
                        'model.backbone_checkpoint')
    parser.add_argument('--shard-id', type=int, default=0)
    parser.add_argument('--num-shards', type=int, default=1,
                        help='split the images into this many shards (merge them with '
                        'tools/merge_free_mask.py)')
    parser.add_argument('--batch-size', type=int,
                        help='images per forward (default: 4 on CUDA; 1 on the CPU, where '
                        'larger batches measured slower per image)')
    parser.add_argument('--chunk-size', type=int, default=64,
                        help='images per atomically written chunk (the unit of resuming)')
    parser.add_argument('--workers', type=int, default=2, help='image loading processes')
    parser.add_argument('--device', help='default: the config\'s `device`, else cuda if '
                        'available, else cpu')
    parser.add_argument('--amp', choices=sorted(AMP_DTYPES), help='autocast dtype (CUDA)')
    parser.add_argument('--no-progress', action='store_true')
    parser.add_argument('--check-only', action='store_true',
                        help='check the config, checkpoint and images, label nothing')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> str:
    args = build_parser().parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    device = args.device or cfg.get('device') or ('cuda' if torch.cuda.is_available() else 'cpu')
    if args.amp and not device.startswith('cuda'):
        raise UserInputError('--amp needs a CUDA --device')
    batch_size = args.batch_size or (4 if device.startswith('cuda') else 1)
    if cfg.model.get('type') != 'FreeMask':
        raise UserInputError(f'{args.config}: not a Free Mask config (model.type is '
                             f'{cfg.model.get("type")!r})')
    if args.checkpoint:
        cfg.model.backbone_checkpoint = args.checkpoint
    records = list_images(args.images, args.ann_file, args.img_root)
    if args.check_only:
        build_free_mask(cfg)  # loads the backbone checkpoint strictly
        print(f'{args.config}: {len(records)} images to label into {args.out}')
        return args.out
    if device == 'cpu':  # measured for a process that runs Free Mask alone (cpu_heap.py)
        retain_freed_memory()
    path = run_free_mask(cfg, records, args.out, source=args.images or args.ann_file,
                         shard_id=args.shard_id, num_shards=args.num_shards,
                         batch_size=batch_size, chunk_size=args.chunk_size,
                         workers=args.workers, device=device, amp=args.amp,
                         progress=not args.no_progress)
    print(f'wrote {path}')
    return path


if __name__ == '__main__':
    main()
