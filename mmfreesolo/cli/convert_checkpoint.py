"""Convert a DenseCL / MoCo / torchvision-style backbone checkpoint for mmfreesolo configs."""
from __future__ import annotations

import argparse
from typing import List, Optional

from mmdet.registry import MODELS
from mmengine.registry import init_default_scope

from ..checkpoints import export_backbone, load_backbone_weights
from ..errors import exit_on_user_error
from ..fileio.configs import load_config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Write the backbone weights of a self-supervised or torchvision checkpoint '
        'as an mmdet checkpoint ("backbone." keys), checked against a config\'s backbone')
    parser.add_argument('src', help='checkpoint file, or package://<module>/<file>')
    parser.add_argument('dst', help='converted checkpoint to write')
    parser.add_argument('--config', help='check that the weights fit this config\'s backbone '
                        '(e.g. a ResNet-50 file against a ResNet-101 config is an error)')
    return parser


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> str:
    args = build_parser().parse_args(argv)
    if args.config:
        cfg = load_config(args.config)
        init_default_scope(cfg.get('default_scope', 'mmdet'))
        load_backbone_weights(MODELS.build(cfg.model.backbone), args.src)
    print(f'wrote {args.dst}: {export_backbone(args.src, args.dst)} backbone tensors')
    return args.dst


if __name__ == '__main__':
    main()
