"""Large images as overlapping tiles at their own resolution, and tile labels stitched back.

Tiles are 8-bit PNG (16-bit images stretched, see :func:`~..fileio.images.to_uint8`). A model
sized for 128-px inputs shrinks a 512-px micrograph four times: its 20-px nuclei become
5-px ones, below the head's grids. Cut into 128-px tiles instead, the objects keep their size.
Tiles overlap by ``overlap`` pixels; each image pixel is *owned* by the tile whose centre is
nearest along each axis, so the owned regions partition the image. Stitching keeps a tile's mask
only if its box centre lies in the region the tile owns: an object no larger than ``overlap``
is then kept exactly once, from a tile that holds it whole.

A tile folder is laid out as the image-folder configs read it, the tiles under ``images/`` and
the manifest, ``tiles.json``, beside them; the manifest records, per source image, its size and
each tile's file (relative to ``images/``) and offset::

    {"tile": 128, "overlap": 48, "images": [
        {"file_name": "a/b.tif", "height": 512, "width": 512,
         "tiles": [{"file_name": "a/b/y0000_x0000.png", "y": 0, "x": 0}, ...]}, ...]}
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np
import pycocotools.mask as mask_utils

from ..errors import UserInputError
from ..fileio.images import read_image
from ..fileio.json_files import read_json, write_json_atomic
from ..pseudo_labels.image_records import list_images

MANIFEST = 'tiles.json'


def tile_offsets(size: int, tile: int, overlap: int) -> List[int]:
    """Start offsets of tiles of ``tile`` px along an axis of ``size`` px, consecutive tiles
    overlapping by at least ``overlap`` px, the last flush with the end (one tile if
    ``size <= tile``)."""
    if not 0 <= overlap < tile:
        raise UserInputError(f'tiles: the overlap must be in [0, {tile}), got {overlap}')
    if size <= tile:
        return [0]
    count = -(-(size - overlap) // (tile - overlap))  # ceil
    return [round(i * (size - tile) / (count - 1)) for i in range(count)]


def owned_bounds(offsets: Sequence[int], tile: int, size: int) -> List[Tuple[float, float]]:
    """[low, high) of the axis each tile owns: up to the midpoints between neighbouring tile
    centres, the first from 0 and the last to ``size``."""
    centres = [o + min(tile, size) / 2 for o in offsets]
    cuts = [0.0] + [(a + b) / 2 for a, b in zip(centres, centres[1:])] + [float(size)]
    return list(zip(cuts[:-1], cuts[1:]))


def write_tiles(images_dir: str, out_dir: str, tile: int = 128, overlap: int = 48) -> Dict:
    """Cut every image under ``images_dir`` into PNG tiles under ``out_dir/images`` and write
    the manifest, ``out_dir/tiles.json``; a tile already written is not cut again.

    Returns the manifest, with ``skipped``: {file_name: reason} of the files that are not
    images.
    """
    if tile < 8:
        raise UserInputError(f'tiles: a tile must be at least 8 px, got {tile}')
    records = list_images(images_dir)
    manifest: Dict = dict(tile=tile, overlap=overlap, images=[], skipped={})
    for record in records:
        try:
            image = read_image(record.path)
        except ValueError as e:
            manifest['skipped'][record.file_name] = str(e)
            continue
        height, width = image.shape[:2]
        stem = osp.splitext(record.file_name)[0]
        entry = dict(file_name=record.file_name, height=height, width=width, tiles=[])
        for y in tile_offsets(height, tile, overlap):
            for x in tile_offsets(width, tile, overlap):
                name = f'{stem}/y{y:04d}_x{x:04d}.png'
                path = osp.join(out_dir, 'images', name)
                if not osp.isfile(path):
                    os.makedirs(osp.dirname(path), exist_ok=True)
                    crop = image[y:y + tile, x:x + tile]
                    if not cv2.imwrite(path + '.tmp.png', crop):
                        raise UserInputError(f'{path}: cannot write the tile')
                    os.replace(path + '.tmp.png', path)
                entry['tiles'].append(dict(file_name=name, y=y, x=x))
        manifest['images'].append(entry)
    if not manifest['images']:
        raise UserInputError(f'{images_dir}: no readable image to tile')
    write_json_atomic(osp.join(out_dir, MANIFEST), manifest)
    return manifest


def read_manifest(path: str) -> Dict:
    """The manifest at ``path`` (a ``tiles.json`` or the folder holding one)."""
    if osp.isdir(path):
        path = osp.join(path, MANIFEST)
    if not osp.isfile(path):
        raise UserInputError(f'{path}: no tile manifest (tools/tile_images.py writes it)')
    manifest = read_json(path)
    if not {'tile', 'overlap', 'images'} <= set(manifest):
        raise UserInputError(f'{path}: not a tile manifest')
    return manifest


def paste_rle(crop: np.ndarray, y: int, x: int, height: int, width: int) -> Dict:
    """The COCO RLE (counts a string) of an (h, w) mask placed at (y, x) in a (height, width)
    image, built from the (height, w) band of columns the crop spans, not the whole image."""
    h, w = crop.shape
    band = np.zeros((height, w), dtype=np.uint8)
    band[y:y + h] = crop
    pixels = band.ravel(order='F')
    # column-major runs of the band, starting with a run of zeros (possibly empty)
    changes = np.flatnonzero(pixels[1:] != pixels[:-1]) + 1
    bounds = np.concatenate([[0], changes, [len(pixels)]])
    counts = np.diff(bounds).tolist()
    if pixels[0]:
        counts.insert(0, 0)
    counts[0] += x * height                      # the columns left of the band
    right = (width - x - w) * height             # the columns right of it
    if len(counts) % 2:                          # ends with zeros: extend them
        counts[-1] += right
    elif right:
        counts.append(right)
    rle = mask_utils.frPyObjects(dict(size=[height, width], counts=counts), height, width)
    rle['counts'] = rle['counts'].decode()
    return rle


def stitch_labels(labels: Dict, manifest: Dict) -> Dict:
    """Tile labels (a COCO label file whose images are tiles, by ``file_name``) -> labels of
    the source images: each mask kept by the tile that owns its box centre, pasted at the
    tile's offset. Images are numbered 1..N in manifest order; ``info`` is carried over."""
    tile = manifest['tile']
    tile_image = {}                    # tile file name -> (image index, y, x, owned y, owned x)
    for index, entry in enumerate(manifest['images']):
        ys = sorted({t['y'] for t in entry['tiles']})
        xs = sorted({t['x'] for t in entry['tiles']})
        owned_y = dict(zip(ys, owned_bounds(ys, tile, entry['height'])))
        owned_x = dict(zip(xs, owned_bounds(xs, tile, entry['width'])))
        for t in entry['tiles']:
            tile_image[t['file_name']] = (index, t['y'], t['x'], owned_y[t['y']], owned_x[t['x']])
    by_tile_id = {}
    for img in labels['images']:
        if img['file_name'] not in tile_image:
            raise UserInputError(f'{img["file_name"]}: a labelled image that is not a tile of '
                                 'the manifest')
        by_tile_id[img['id']] = tile_image[img['file_name']]
    images = [dict(id=i + 1, file_name=e['file_name'], height=e['height'], width=e['width'])
              for i, e in enumerate(manifest['images'])]
    annotations = []
    for ann in labels['annotations']:
        index, y, x, (y0, y1), (x0, x1) = by_tile_id[ann['image_id']]
        bx, by, bw, bh = ann['bbox']
        cx, cy = x + bx + bw / 2, y + by + bh / 2
        if not (x0 <= cx < x1 and y0 <= cy < y1):
            continue
        source = manifest['images'][index]
        rle = paste_rle(mask_utils.decode(ann['segmentation']), y, x, source['height'],
                        source['width'])
        annotations.append(dict(
            ann, id=len(annotations) + 1, image_id=index + 1, segmentation=rle,
            bbox=[bx + x, by + y, bw, bh]))
    return dict(info=dict(labels.get('info', {}), tiles=manifest['tile']), images=images,
                annotations=annotations, categories=labels.get('categories', []))
