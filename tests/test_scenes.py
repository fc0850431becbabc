import filecmp
import json

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest

from conftest import REPO, assert_ok, assert_one_line_error, run
from mmfreesolo.cli import generate_scenes as generate_scenes_cli
from mmfreesolo.scenes.renderer import SceneSpec, generate_scenes, render_scene, scene_rng


def _load(root, split='train'):
    with open(root / 'annotations' / f'instances_{split}.json') as f:
        return json.load(f)


def test_same_arguments_write_identical_files(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    generate_scenes(str(a), num_train=3, num_val=2, image_size=(64, 80), seed=7)
    generate_scenes(str(b), num_train=3, num_val=2, image_size=(64, 80), seed=7)
    for rel in ['annotations/instances_train.json', 'annotations/instances_val.json',
                'train/000001.png', 'train/000003.png', 'val/000002.png']:
        assert filecmp.cmp(a / rel, b / rel, shallow=False), rel


def test_scene_depends_only_on_seed_split_and_index(tmp_path):
    small, large = tmp_path / 'small', tmp_path / 'large'
    generate_scenes(str(small), num_train=2, num_val=1, seed=3)
    generate_scenes(str(large), num_train=5, num_val=1, seed=3)
    assert filecmp.cmp(small / 'train/000002.png', large / 'train/000002.png', shallow=False)
    other = tmp_path / 'other'
    generate_scenes(str(other), num_train=2, num_val=1, seed=4)
    assert not filecmp.cmp(small / 'train/000001.png', other / 'train/000001.png',
                           shallow=False)
    train, val = _load(small), _load(small, 'val')
    img_t = cv2.imread(str(small / 'train/000001.png'))
    img_v = cv2.imread(str(small / 'val/000001.png'))
    assert not np.array_equal(img_t, img_v), 'splits must not repeat each other'
    assert train['images'][0]['file_name'] == val['images'][0]['file_name'] == '000001.png'


def test_boxes_and_areas_are_computed_from_masks(scenes):
    coco = _load(scenes)
    assert coco['categories'] == [{'id': 1, 'name': 'object', 'supercategory': 'object'}]
    sizes = {img['id']: (img['height'], img['width']) for img in coco['images']}
    for ann in coco['annotations']:
        mask = mask_utils.decode(ann['segmentation']).astype(bool)
        assert mask.shape == sizes[ann['image_id']]
        ys, xs = np.nonzero(mask)
        # XYWH of the tight box around the mask's pixels
        expected = [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
        assert ann['bbox'] == pytest.approx(expected)
        assert ann['area'] == mask.sum()
        assert ann['iscrowd'] == 0 and ann['category_id'] == 1


def test_masks_are_visible_parts_and_scenes_are_varied(scenes):
    coco = _load(scenes)
    by_image = {}
    for ann in coco['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    counts = [len(v) for v in by_image.values()]
    assert min(counts) >= 2 and max(counts) >= 4
    for anns in by_image.values():
        masks = np.stack([mask_utils.decode(a['segmentation']) for a in anns]).astype(int)
        assert masks.sum(0).max() == 1, 'occluded parts belong to the front object only'
    side = np.sqrt([a['area'] for a in coco['annotations']])
    assert side.min() < 16 and side.max() > 48, 'small and large objects'
    assert len({a['shape'] for a in coco['annotations']}) >= 4


def test_later_objects_occlude_earlier_ones():
    spec = SceneSpec(min_objects=6, max_objects=6)
    occluded = 0
    for index in range(5):
        scene = render_scene(scene_rng(0, 'train', index), spec)
        assert (scene.masks <= scene.full_masks).all()
        hidden = scene.full_masks & ~scene.masks
        occluded += int(hidden.any(axis=(1, 2)).sum())
        # the front object is never hidden
        assert not hidden[-1].any()
        assert scene.image.shape == (spec.height, spec.width, 3)
    assert occluded > 0


def test_images_are_textured_not_flat(scenes):
    img = cv2.imread(str(scenes / 'train/000001.png')).astype(float)
    coco = _load(scenes)
    masks = [mask_utils.decode(a['segmentation']).astype(bool) for a in coco['annotations']
             if a['image_id'] == 1]
    background = ~np.any(masks, axis=0)
    assert img[background].std(axis=0).mean() > 10


def test_command_line_writes_previews_and_rejects_bad_sizes(tmp_path, in_process):
    out = tmp_path / 'gen'
    result = run([str(REPO / 'tools/generate_scenes.py'), str(out), '--num-train', '2',
                  '--num-val', '1', '--size', '48', '64', '--preview', '2'])
    assert_ok(result)
    preview = cv2.imread(str(out / 'preview' / 'train' / '000001.png'))
    assert preview.shape == (48, 64, 3)
    assert not np.array_equal(preview, cv2.imread(str(out / 'train' / '000001.png')))
    assert (out / 'preview' / 'val' / '000001.png').exists()
    assert not (out / 'preview' / 'val' / '000002.png').exists()
    bad = in_process(generate_scenes_cli.main, [str(tmp_path / 'x'), '--size', '4', '4'])
    assert_one_line_error(bad, 'image_size must be at least 8x8')
