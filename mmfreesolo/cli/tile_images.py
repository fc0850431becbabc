"""Cut a folder of large images into overlapping tiles at their own resolution (PNG, 8 bits;
16-bit images stretched between percentiles), with a manifest that tools/stitch_tiles.py uses to
put the tiles' labels back on the images. Run again, it cuts only what is missing."""
from __future__ import annotations

import argparse
from typing import Dict, List, Optional

from ..datasets.tiles import write_tiles
from ..errors import exit_on_user_error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('images', help='folder of images (searched recursively)')
    parser.add_argument('out', help='the tile folder: OUT/images/ the tiles, OUT/tiles.json their '
                        'manifest (the layout of the image-folder configs)')
    parser.add_argument('--tile', type=int, default=128,
                        help='tile side in pixels: the training size of the config the tiles '
                        'are for (default 128, the CPU configs\')')
    parser.add_argument('--overlap', type=int, default=48,
                        help='pixels shared by neighbouring tiles: at least the largest object, '
                        'so that stitching keeps every object whole (default 48)')
    return parser


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> Dict:
    args = build_parser().parse_args(argv)
    manifest = write_tiles(args.images, args.out, args.tile, args.overlap)
    tiles = sum(len(entry['tiles']) for entry in manifest['images'])
    print(f'{args.out}: {tiles} tiles of {args.tile} px from {len(manifest["images"])} images')
    for name, reason in manifest['skipped'].items():
        print(f'skipped {name}: {reason}')
    return manifest


if __name__ == '__main__':
    main()
