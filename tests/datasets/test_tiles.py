"""Tiles at the images' own resolution and labels stitched back: offsets and owned regions on
hand-computed cases, every object of a label image kept exactly once through tiling and
stitching, 16-bit images stretched, and the two command lines."""
import json

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmfreesolo.cli import stitch_tiles as stitch_cli
from mmfreesolo.cli import tile_images as tile_cli
from mmfreesolo.datasets.tiles import (owned_bounds, paste_rle, read_manifest, stitch_labels,
                                       tile_offsets, write_tiles)
from mmfreesolo.fileio.images import read_image, to_uint8


@pytest.mark.parametrize('size, tile, overlap, offsets', [
    (100, 128, 48, [0]),              # smaller than a tile: the image alone
    (128, 128, 48, [0]),
    (208, 128, 48, [0, 80]),          # exactly two tiles sharing 48 px
    (512, 128, 48, [0, 77, 154, 230, 307, 384]),  # 6 tiles: (512-48)/(128-48) = 5.8
    (300, 100, 0, [0, 100, 200]),
])
def test_tile_offsets(size, tile, overlap, offsets):
    assert tile_offsets(size, tile, overlap) == offsets
    got = tile_offsets(size, tile, overlap)
    assert got[-1] + min(tile, size) == size, 'the last tile is flush with the end'
    assert all(a + tile - b >= overlap for a, b in zip(got, got[1:]))


def test_owned_regions_partition_the_axis():
    assert owned_bounds([0, 80], 128, 208) == [(0.0, 104.0), (104.0, 208.0)]
    # centres 64, 141, 218: cuts at 102.5 and 179.5
    assert owned_bounds([0, 77, 154], 128, 282) == [
        (0.0, 102.5), (102.5, 179.5), (179.5, 282.0)]
    assert owned_bounds([0], 128, 100) == [(0.0, 100.0)]


def test_overlap_out_of_range_is_one_line():
    with pytest.raises(ValueError, match='overlap must be in'):
        tile_offsets(300, 128, 128)


def _label_image(size=300, seed=0):
    """A label image of discs (radius 6-16) and its 16-bit rendering."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((size, size), np.int32)
    yy, xx = np.mgrid[:size, :size]
    for k in range(1, 40):
        r = rng.integers(6, 17)
        cy, cx = rng.integers(r, size - r, 2)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        labels[disc & (labels == 0)] = k
    image = np.where(labels > 0, 3000, 200).astype(np.uint16)
    return labels, image


def _tile_labels(manifest, labels):
    """The label image's objects as seen by each tile (cut at the tile's borders)."""
    images, annotations = [], []
    for t in manifest['images'][0]['tiles']:
        images.append(dict(id=len(images) + 1, file_name=t['file_name']))
        crop = labels[t['y']:t['y'] + manifest['tile'], t['x']:t['x'] + manifest['tile']]
        for value in np.unique(crop[crop > 0]):
            rle = mask_utils.encode(np.asfortranarray((crop == value).astype(np.uint8)))
            rle['counts'] = rle['counts'].decode()
            annotations.append(dict(id=len(annotations) + 1, image_id=len(images),
                                    segmentation=rle, bbox=list(mask_utils.toBbox(rle)),
                                    score=float(value), category_id=1))
    return dict(images=images, annotations=annotations)


def test_every_object_is_stitched_back_once_and_whole(tmp_path):
    labels, image = _label_image()
    (tmp_path / 'images').mkdir()
    cv2.imwrite(str(tmp_path / 'images' / 'cells.png'), image)
    manifest = write_tiles(str(tmp_path / 'images'), str(tmp_path / 'tiles'), 128, 40)
    assert [t['file_name'] for t in manifest['images'][0]['tiles']][:2] == [
        'cells/y0000_x0000.png', 'cells/y0000_x0086.png']
    assert len(manifest['images'][0]['tiles']) == 9
    tile = read_image(str(tmp_path / 'tiles' / 'images' / 'cells' / 'y0086_x0086.png'))
    assert tile.shape == (128, 128, 3) and tile.dtype == np.uint8
    assert set(np.unique(tile)) <= {0, 255}, '16 bits stretched, not divided by 256'

    stitched = stitch_labels(_tile_labels(manifest, labels), read_manifest(str(tmp_path /
                                                                               'tiles')))
    assert stitched['images'] == [dict(id=1, file_name='cells.png', height=300, width=300)]
    values = [a['score'] for a in stitched['annotations']]
    assert sorted(values) == sorted(set(values)), 'each object once'
    assert set(values) == set(float(v) for v in np.unique(labels[labels > 0]))
    for ann in stitched['annotations']:
        mask = mask_utils.decode(ann['segmentation']).astype(bool)
        assert np.array_equal(mask, labels == ann['score']), 'whole, at its place'
        assert np.allclose(ann['bbox'], mask_utils.toBbox(ann['segmentation']))


def test_a_pasted_crop_encodes_as_the_whole_image_would():
    """paste_rle against pycocotools encoding the whole image, on random crops, offsets and
    densities (empty and full crops, crops at every edge)."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        height, width = rng.integers(1, 30, 2)
        h, w = rng.integers(1, height + 1), rng.integers(1, width + 1)
        y, x = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
        crop = (rng.random((h, w)) < rng.choice([0.0, 0.5, 1.0])).astype(np.uint8)
        full = np.zeros((height, width), np.uint8)
        full[y:y + h, x:x + w] = crop
        expected = mask_utils.encode(np.asfortranarray(full))
        expected['counts'] = expected['counts'].decode()
        assert paste_rle(crop, int(y), int(x), int(height), int(width)) == expected


def test_to_uint8_stretches_between_percentiles():
    image = np.arange(1000, dtype=np.uint16).reshape(10, 100) * 4
    out = to_uint8(image)
    low, high = np.percentile(image, (1, 99.5))
    assert out.dtype == np.uint8 and out.min() == 0 and out.max() == 255
    assert out[5, 0] == round((image[5, 0] - low) / (high - low) * 255)
    same = np.full((4, 4), 7, np.uint8)
    assert to_uint8(same) is same


def test_the_command_lines(tmp_path, in_process, capsys):
    labels, image = _label_image(200, seed=1)
    (tmp_path / 'images').mkdir()
    cv2.imwrite(str(tmp_path / 'images' / 'a.tif'), image)
    (tmp_path / 'images' / 'notes.txt').write_text('not an image')
    result = in_process(tile_cli.main, [str(tmp_path / 'images'), str(tmp_path / 't'),
                                        '--tile', '128', '--overlap', '48'])
    assert result.returncode == 0, result.stderr
    assert 'skipped notes.txt' in result.stdout and '4 tiles of 128 px from 1 images' in \
        result.stdout
    tile_file = tmp_path / 'tile_labels.json'
    manifest = read_manifest(str(tmp_path / 't' / 'tiles.json'))
    tile_file.write_text(json.dumps(_tile_labels(manifest, labels)))
    result = in_process(stitch_cli.main, [str(tile_file), str(tmp_path / 't'), '--out',
                                          str(tmp_path / 'a.json')])
    assert result.returncode == 0, result.stderr
    assert len(json.loads((tmp_path / 'a.json').read_text())['annotations']) == len(
        np.unique(labels[labels > 0]))
    bad = in_process(stitch_cli.main, [str(tile_file), str(tmp_path), '--out',
                                       str(tmp_path / 'b.json')])
    assert bad.returncode == 2 and 'no tile manifest' in bad.stderr
