"""Put the labels or predictions of tiles (tools/tile_images.py) back on their source images:
each object kept once, from the tile that holds it whole. Writes a COCO json of the source
images that tools/evaluate.py scores and tools/visualize.py draws."""
from __future__ import annotations

import argparse
from typing import Dict, List, Optional

from ..datasets.tiles import read_manifest, stitch_labels
from ..errors import UserInputError, exit_on_user_error
from ..fileio.json_files import read_json, write_json_atomic


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('labels', help='a label or predictions file (COCO json) of the tiles, '
                        'written by tools/free_mask.py or tools/predict.py')
    parser.add_argument('tiles', help='the tiles\' folder or its tiles.json')
    parser.add_argument('--out', required=True, help='the stitched COCO json to write')
    return parser


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> Dict:
    args = build_parser().parse_args(argv)
    labels = read_json(args.labels)
    if not isinstance(labels, dict) or not {'images', 'annotations'} <= set(labels):
        raise UserInputError(f'{args.labels}: not a COCO json with images and annotations')
    stitched = stitch_labels(labels, read_manifest(args.tiles))
    write_json_atomic(args.out, stitched)
    print(f'wrote {args.out}: {len(stitched["annotations"])} masks on '
          f'{len(stitched["images"])} images, from {len(labels["annotations"])} on '
          f'{len(labels["images"])} tiles')
    return stitched


if __name__ == '__main__':
    main()
