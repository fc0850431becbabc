"""The scale check before round 1, on hand-made label files: images shrunk to the training
scale, objects outside the sizes the head is sized for, and nothing to say when both fit."""
import json

from mmfreesolo.pseudo_labels.label_scale import (object_sides, scale_warnings,
                                                  training_scale_factors)


def label_file(tmp_path, images, boxes):
    """images: (height, width) each; boxes: (image index, w, h)."""
    data = dict(
        images=[dict(id=i + 1, file_name=f'{i}.png', height=h, width=w)
                for i, (h, w) in enumerate(images)],
        annotations=[dict(id=k + 1, image_id=i + 1, bbox=[0, 0, w, h], score=0.9)
                     for k, (i, w, h) in enumerate(boxes)],
        categories=[dict(id=1, name='object')])
    path = tmp_path / 'labels.json'
    path.write_text(json.dumps(data))
    return str(path)


def test_factors_and_sides_at_the_training_scale(tmp_path):
    path = label_file(tmp_path, [(512, 512), (100, 200), (128, 96)],
                      [(0, 24, 20), (1, 10, 30), (2, 8, 8)])
    # keep_ratio: min(128 / long side, 128 / short side)
    assert training_scale_factors(path, (128, 128)) == {1: 0.25, 2: 0.64, 3: 1.0}
    assert object_sides(path, {1: 0.25, 2: 0.64, 3: 1.0}).tolist() == [6.0, 19.2, 8.0]


def test_a_large_micrograph_is_reported_shrunk(tmp_path):
    path = label_file(tmp_path, [(512, 512)] * 2 + [(150, 150)], [(0, 24, 24)] * 5)
    warnings = scale_warnings(path, (128, 128), (4, 90))
    assert len(warnings) == 1     # 150 px: 1.17x, not reported; the 6-px objects fit 4-90
    assert warnings[0].startswith('2 of 3 images are shrunk to the training scale 128 px, '
                                  'by up to 4.0x') and 'tools/tile_images.py' in warnings[0]


def test_objects_outside_the_head_s_sizes(tmp_path):
    small = label_file(tmp_path, [(128, 128)], [(0, 3, 3)] * 3 + [(0, 20, 20)])
    warnings = scale_warnings(small, (128, 128), (4, 90))
    assert len(warnings) == 1 and 'measure 3 px' in warnings[0] and '75% outside 4-90' in \
        warnings[0] and 'smaller tiles' in warnings[0]
    fits = label_file(tmp_path, [(128, 128)], [(0, 3, 3)] + [(0, 20, 20)] * 2)
    assert scale_warnings(fits, (128, 128), (4, 90)) == []
    large = label_file(tmp_path, [(128, 128)], [(0, 120, 100)] * 2)
    assert 'train at a smaller scale' in scale_warnings(large, (128, 128), (4, 90))[0]
