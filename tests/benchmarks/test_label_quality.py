"""benchmarks/free_mask_label_quality.py on a hand-made case: label precision per score bin and
object recall per object size, computed by hand below."""
import importlib.util
import json

import numpy as np
from pycocotools import mask as mask_utils

from conftest import REPO, assert_ok, run


def square(x, y, size, shape=(20, 20)):
    mask = np.zeros(shape, dtype=np.uint8)
    mask[y:y + size, x:x + size] = 1
    return mask


def rle(mask):
    """A COCO RLE as label files hold it (counts a string)."""
    encoded = mask_utils.encode(np.asfortranarray(mask))
    return dict(size=encoded['size'], counts=encoded['counts'].decode())


def write_case(tmp_path):
    images = [dict(id=1, file_name='a.png', height=20, width=20),
              dict(id=2, file_name='b.png', height=20, width=20)]
    objects = [(1, square(0, 0, 10)), (1, square(15, 15, 4)), (2, square(3, 3, 6))]
    gt = dict(images=images, categories=[dict(id=1, name='object')], annotations=[
        dict(id=i + 1, image_id=image, category_id=1, iscrowd=0, area=int(mask.sum()),
             bbox=mask_utils.toBbox(rle(mask)).tolist(), segmentation=rle(mask))
        for i, (image, mask) in enumerate(objects)])
    labels = []
    # the 10x10 object exactly (IoU 1), a square shifted 5 px off it (IoU 50 / 150), and one
    # on the background (IoU 0)
    for i, (mask, score) in enumerate([(square(0, 0, 10), 0.9), (square(5, 0, 10), 0.3),
                                       (square(12, 0, 3), 0.2)]):
        labels.append(dict(id=i + 1, image_id=1, category_id=1, score=score, iscrowd=0,
                           area=int(mask.sum()), bbox=mask_utils.toBbox(rle(mask)).tolist(),
                           segmentation=rle(mask)))
    # image b.png is labelled with nothing: its object counts as missed
    label_file = dict(images=images, categories=[dict(id=1, name='object')], annotations=labels)
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    (tmp_path / 'labels.json').write_text(json.dumps(label_file))
    return str(tmp_path / 'gt.json'), str(tmp_path / 'labels.json')


def load_quality_module():
    """The benchmark as a module, for its functions (in-process: no interpreter start-up)."""
    spec = importlib.util.spec_from_file_location(
        'label_quality', REPO / 'benchmarks/free_mask_label_quality.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def quality(gt, labels, *options):
    result = run([str(REPO / 'benchmarks/free_mask_label_quality.py'), gt, labels, *options])
    assert_ok(result)
    return result.stdout


def test_precision_per_score_and_recall_per_object_size(tmp_path):
    gt, labels = write_case(tmp_path)
    out = quality(gt, labels, '--bins', '0.5', '--area-bins', '50')
    assert '3 labels scored >= 0.0' in out and '1.50 an image, 0.333 of them' in out
    assert '[ -inf,  0.50)       2    0.000     0.167    0.500' in out
    assert '[ 0.50,   inf)       1    1.000     1.000    0.000' in out
    assert '3 objects in 2 images, 0.333 of them found' in out
    assert '[    0,    50)        2  0.000' in out  # the 4x4 and the unlabelled 6x6
    assert '[   50,   inf)        1  1.000' in out


def test_min_score_drops_labels_before_matching(tmp_path):
    gt, labels = write_case(tmp_path)
    out = quality(gt, labels, '--min-score', '0.5', '--bins', '0.5', '--area-bins', '50')
    assert '1 labels scored >= 0.5' in out and '0.50 an image, 1.000 of them' in out
    assert '3 objects in 2 images, 0.333 of them found' in out


def test_error_classes_in_score_order(tmp_path):
    gt, labels = write_case(tmp_path)
    data = json.loads(open(labels).read())
    # on the 10x10 object, below the exact one: a 9x9 inside it (IoU 0.81: found already), a
    # 4x4 corner of it (IoU 0.16, all inside), a 15x15 over it (IoU 100 / 225)
    for i, (mask, score) in enumerate([(square(0, 0, 9), 0.8), (square(0, 0, 4), 0.7),
                                       (square(0, 0, 15), 0.6)]):
        data['annotations'].append(dict(
            id=10 + i, image_id=1, category_id=1, score=score, iscrowd=0, area=int(mask.sum()),
            bbox=mask_utils.toBbox(rle(mask)).tolist(), segmentation=rle(mask)))
    open(labels, 'w').write(json.dumps(data))
    quality_module = load_quality_module()
    coco_gt = quality_module.load_coco_gt(gt)
    detections = quality_module.load_detections(labels, coco_gt)
    rows = quality_module.error_classes(coco_gt, detections, [1, 2])
    kinds = [quality_module.ERRORS[int(k)] for _, k in sorted(rows.tolist(), reverse=True)]
    # 0.3: the square 5 px off the object (IoU 1/3, half of it inside); 0.2: on the background
    assert kinds == ['found', 'duplicate', 'part', 'spread', 'loose', 'background']


def test_labels_by_the_fraction_of_the_frame_they_cover(tmp_path):
    gt, labels = write_case(tmp_path)
    quality_module = load_quality_module()
    coco_gt = quality_module.load_coco_gt(gt)
    rows = quality_module.frame_cover(
        coco_gt, quality_module.load_detections(labels, coco_gt), [1, 2])
    # of a 20 x 20 image's 76 frame pixels, the exact 10x10 in the corner covers 19, the one
    # shifted 5 px (IoU 1/3) 10 of the top row, the background square 3
    assert sorted(rows.tolist(), reverse=True) == [[1.0, 19 / 76], [1 / 3, 10 / 76], [0.0, 3 / 76]]
