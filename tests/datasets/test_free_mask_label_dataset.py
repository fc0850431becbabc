"""FreeMaskLabelDataset: pseudo-labels filtered by their score, the score checked."""
import json

import numpy as np
import pytest
from mmdet.registry import DATASETS
from mmengine.registry import init_default_scope
from pycocotools import mask as mask_utils

import mmfreesolo  # noqa: F401
from mmfreesolo.errors import UserInputError
from mmfreesolo.pseudo_labels.label_file import decode_embedding, encode_embedding

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs'),
]

init_default_scope('mmdet')


def pseudo_label_file(scenes, tmp_path, empty_image=True):
    """The scenes' train ground truth as a pseudo-label file: score = 0.5 + id / 1000; the first
    image's masks removed when ``empty_image``."""
    data = json.loads((scenes / 'annotations' / 'instances_train.json').read_text())
    first = data['images'][0]['id']
    if empty_image:
        data['annotations'] = [a for a in data['annotations'] if a['image_id'] != first]
    for ann in data['annotations']:
        ann['score'] = 0.5 + ann['id'] / 1000
    path = tmp_path / 'labels.json'
    path.write_text(json.dumps(data))
    return path, data


def build(scenes, path, **kwargs):
    return DATASETS.build(dict(type='FreeMaskLabelDataset', data_root=str(scenes),
                               ann_file=str(path), data_prefix=dict(img='train/'),
                               pipeline=PIPELINE, **kwargs))


def test_images_without_labels_are_skipped_and_scores_kept(scenes, tmp_path):
    path, data = pseudo_label_file(scenes, tmp_path)
    dataset = build(scenes, path)
    assert len(dataset) == len(data['images']) - 1        # the image without masks is skipped
    by_image = {}
    for ann in data['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    for k in range(len(dataset)):
        info = dataset.get_data_info(k)
        anns = sorted(by_image[info['img_id']], key=lambda a: a['id'])
        assert [i['score'] for i in info['instances']] == [a['score'] for a in anns]
        assert len(dataset[k]['data_samples'].gt_instances) == len(anns)


def test_scores_default_to_one(scenes):
    dataset = DATASETS.build(dict(
        type='FreeMaskLabelDataset', data_root=str(scenes),
        ann_file='annotations/instances_train.json', data_prefix=dict(img='train/'),
        pipeline=PIPELINE))
    assert all(i['score'] == 1.0 for i in dataset.get_data_info(0)['instances'])


def test_min_score_drops_labels_and_then_empty_images(scenes, tmp_path):
    path, data = pseudo_label_file(scenes, tmp_path, empty_image=False)
    scores = sorted(a['score'] for a in data['annotations'])
    threshold = scores[len(scores) // 2]
    dataset = build(scenes, path, min_score=threshold)
    kept_scores = [i['score'] for k in range(len(dataset))
                   for i in dataset.get_data_info(k)['instances']]
    assert sorted(kept_scores) == [s for s in scores if s >= threshold]
    images_left = {a['image_id'] for a in data['annotations'] if a['score'] >= threshold}
    assert {dataset.get_data_info(k)['img_id'] for k in range(len(dataset))} == images_left
    assert len(images_left) < len(data['images'])


def test_score_that_is_not_a_number_is_a_clear_error(scenes, tmp_path):
    path, data = pseudo_label_file(scenes, tmp_path)
    data['annotations'][0]['score'] = 'high'
    path.write_text(json.dumps(data))
    with pytest.raises(UserInputError, match='score that is not a number'):
        build(scenes, path)


def test_embeddings_read_in_both_forms_within_float16_precision(scenes, tmp_path):
    path, data = pseudo_label_file(scenes, tmp_path, empty_image=False)
    rng = np.random.default_rng(0)
    vectors = {a['id']: rng.normal(size=128).astype(np.float32) for a in data['annotations']}
    for k, ann in enumerate(data['annotations']):  # version 1 lists and version 2 base64 mixed
        ann['emb'] = (vectors[ann['id']].tolist() if k % 2
                      else encode_embedding(vectors[ann['id']]))
    path.write_text(json.dumps(data))
    assert build(scenes, path).get_data_info(0)['instances'][0].keys() >= {'score', 'mask'}
    assert 'embedding' not in build(scenes, path).get_data_info(0)['instances'][0]
    dataset = build(scenes, path, with_embeddings=True)
    by_score = {a['score']: vectors[a['id']] for a in data['annotations']}
    for k in range(len(dataset)):
        for instance in dataset.get_data_info(k)['instances']:
            expected = by_score[instance['score']]
            # float16: 11 significant bits, so a relative error of at most 2**-11
            np.testing.assert_allclose(instance['embedding'], expected, rtol=2 ** -11,
                                       atol=2 ** -24)
    data['annotations'][3]['emb'] = 'not base64!'
    path.write_text(json.dumps(data))
    with pytest.raises(UserInputError, match=r'annotation \d+ has no readable embedding'):
        build(scenes, path, with_embeddings=True)


def test_embedding_text_is_a_quarter_of_json_numbers():
    vector = np.random.default_rng(1).normal(size=128)
    text = encode_embedding(vector)
    assert decode_embedding(text).dtype == np.float32
    assert len(text) * 3 < len(json.dumps([round(float(v), 6) for v in vector]))
    np.testing.assert_array_equal(decode_embedding(text), vector.astype(np.float16))


def tricky_coco_file(scenes, tmp_path, indent):
    """The scenes' ground truth with what CocoDataset drops or flags (ignored, crowd, empty and
    outside boxes, zero area, another category), a non-ASCII file name, the annotations before
    the images, and the given indentation."""
    data = json.loads((scenes / 'annotations' / 'instances_train.json').read_text())
    data['categories'].append(dict(id=7, name='other'))
    anns = data['annotations']
    anns[0]['ignore'] = 1
    anns[1]['iscrowd'] = 1
    anns[2]['bbox'] = [500.0, 500.0, 10.0, 10.0]
    anns[3]['area'] = 0
    anns[4]['bbox'][2] = 0.5
    anns[5]['category_id'] = 7
    for ann in anns[::3]:
        ann['score'] = 0.25
    data['images'][1]['file_name'] = 'été/' + data['images'][1]['file_name']
    path = tmp_path / f'tricky_{indent}.json'
    ordered = dict(info={'note': 'ünïcode'}, annotations=anns, images=data['images'],
                   categories=data['categories'])
    path.write_text(json.dumps(ordered, indent=indent, ensure_ascii=False), encoding='utf-8')
    return path, data


@pytest.mark.parametrize('indent', [None, 2])
def test_indexed_dataset_gives_what_coco_dataset_parses(scenes, tmp_path, indent):
    """Reference: mmdet's CocoDataset (the whole file through pycocotools) on the same file,
    with the score threshold applied to its instances."""
    path, data = tricky_coco_file(scenes, tmp_path, indent)
    score = {json.dumps(a['segmentation'], sort_keys=True): a.get('score', 1.0)
             for a in data['annotations']}
    for min_score in (0.0, 0.5):
        ours = build(scenes, path, min_score=min_score)
        reference = DATASETS.build(dict(
            type='CocoDataset', data_root=str(scenes), ann_file=str(path),
            data_prefix=dict(img='train/'), pipeline=PIPELINE,
            metainfo=dict(classes=('object', )), filter_cfg=dict(filter_empty_gt=True)))
        expected = []
        for k in range(len(reference)):
            info = reference.get_data_info(k)
            for instance in info['instances']:
                instance['score'] = score[json.dumps(instance['mask'], sort_keys=True)]
            info['instances'] = [i for i in info['instances'] if i['score'] >= min_score]
            if info['instances']:
                expected.append(info)
        assert len(ours) == len(expected) > 0
        for k, info in enumerate(expected):
            got = ours.get_data_info(k)
            for key in ('img_path', 'img_id', 'height', 'width', 'instances'):
                assert got[key] == info[key], (k, key)
        assert any(i['ignore_flag'] for k in range(len(ours))
                   for i in ours.get_data_info(k)['instances'])
    assert 'été/' in build(scenes, path).get_data_info(1)['img_path']


def test_malformed_label_files_are_one_clear_error(scenes, tmp_path):
    path, data = pseudo_label_file(scenes, tmp_path)
    text = path.read_text()
    path.write_text(text[:len(text) // 2])
    with pytest.raises(UserInputError, match=r'labels.json: not valid JSON \(.* at byte \d+\)'):
        build(scenes, path)
    data['annotations'][2]['image_id'] = 999999
    path.write_text(json.dumps(data))
    with pytest.raises(UserInputError, match=r'annotations\[2\] refers to image_id 999999'):
        build(scenes, path)
    path.write_text('[]')
    with pytest.raises(UserInputError, match='a COCO file is a JSON object, got a list'):
        build(scenes, path)


def test_ignore_score_keeps_the_labels_below_min_score_as_ignored(scenes, tmp_path):
    path, data = pseudo_label_file(scenes, tmp_path, empty_image=False)
    scores = sorted(a['score'] for a in data['annotations'])
    low, high = scores[len(scores) // 4], scores[len(scores) // 2]
    dataset = build(scenes, path, min_score=high, ignore_score=low)
    by_image = {}
    for ann in data['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann['score'])
    trained = {i for i, s in by_image.items() if max(s) >= high}
    assert {dataset.get_data_info(k)['img_id'] for k in range(len(dataset))} == trained, \
        'an image whose labels are all ignored is dropped like one without labels'
    seen_ignored = False
    for k in range(len(dataset)):
        info = dataset.get_data_info(k)
        expected = sorted(s for s in by_image[info['img_id']] if s >= low)
        assert sorted(i['score'] for i in info['instances']) == expected
        assert all(i['ignore_flag'] == (i['score'] < high) for i in info['instances'])
        sample = dataset[k]['data_samples']
        assert len(sample.gt_instances) == sum(s >= high for s in expected)
        assert len(sample.ignored_instances) == sum(s < high for s in expected)
        seen_ignored |= len(sample.ignored_instances) > 0
    assert seen_ignored
    # at or above min_score (later rounds lower min_score): nothing is ignored
    for ignore_score in (high, 1.0):
        dataset = build(scenes, path, min_score=high, ignore_score=ignore_score)
        assert not any(i['ignore_flag'] for k in range(len(dataset))
                       for i in dataset.get_data_info(k)['instances'])


def check_ignored(dataset, data, low, high, rule):
    """Labels from ``low`` are the instances; those under ``high`` or matching ``rule`` are
    ignored (and packed as ignored instances); an image with none trained is dropped; some
    label scored from ``high`` matches ``rule``."""
    by_image = {}
    for ann in data['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    trained = {i for i, anns in by_image.items()
               if any(a['score'] >= high and not rule(a) for a in anns)}
    assert {dataset.get_data_info(k)['img_id'] for k in range(len(dataset))} == trained, \
        'an image whose trained labels are all ignored is dropped like one without labels'
    seen = False
    for k in range(len(dataset)):
        info = dataset.get_data_info(k)
        # scores are unique (0.5 + id / 1000): each instance is matched to its annotation
        anns = {a['score']: a for a in by_image[info['img_id']] if a['score'] >= low}
        assert sorted(i['score'] for i in info['instances']) == sorted(anns)
        for instance in info['instances']:
            ann = anns[instance['score']]
            assert instance['ignore_flag'] == int(ann['score'] < high or rule(ann))
        sample = dataset[k]['data_samples']
        assert len(sample.ignored_instances) == sum(
            a['score'] < high or rule(a) for a in anns.values())
        seen |= any(a['score'] >= high and rule(a) for a in anns.values())
    assert seen


def test_ignore_area_keeps_small_trained_labels_as_ignored(scenes, tmp_path):
    path, data = pseudo_label_file(scenes, tmp_path, empty_image=False)
    scores = sorted(a['score'] for a in data['annotations'])
    low, high = scores[len(scores) // 4], scores[len(scores) // 2]
    areas = sorted(a['area'] for a in data['annotations'])
    small = areas[len(areas) // 2]
    dataset = build(scenes, path, min_score=high, ignore_score=low, ignore_area=small)
    check_ignored(dataset, data, low, high, lambda a: a['area'] < small)
    # 0, the default, ignores no label for its area
    dataset = build(scenes, path, min_score=high, ignore_score=low)
    assert all(i['ignore_flag'] == (i['score'] < high) for k in range(len(dataset))
               for i in dataset.get_data_info(k)['instances'])


def test_ignore_image_fraction_keeps_large_trained_labels_as_ignored(scenes, tmp_path):
    path, data = pseudo_label_file(scenes, tmp_path, empty_image=False)
    sizes = {img['id']: img['width'] * img['height'] for img in data['images']}
    fractions = sorted(a['area'] / sizes[a['image_id']] for a in data['annotations'])
    fraction = fractions[len(fractions) // 2]
    scores = sorted(a['score'] for a in data['annotations'])
    low, high = scores[len(scores) // 4], scores[len(scores) // 2]
    dataset = build(scenes, path, min_score=high, ignore_score=low,
                    ignore_image_fraction=fraction)

    def large(ann):
        return ann['area'] > fraction * sizes[ann['image_id']]

    check_ignored(dataset, data, low, high, large)
    for bad in (0, 1.5):
        with pytest.raises(UserInputError, match='ignore_image_fraction must be in'):
            build(scenes, path, ignore_image_fraction=bad)


def test_ignore_frame_fraction_keeps_trained_labels_along_the_edges_as_ignored(scenes, tmp_path):
    path, data = pseudo_label_file(scenes, tmp_path, empty_image=False)

    def frame_fraction(ann):
        mask = mask_utils.decode(ann['segmentation']).astype(bool)
        frame = np.ones_like(mask)
        frame[1:-1, 1:-1] = False
        return (mask & frame).sum() / frame.sum()

    on_frame = sorted(f for f in map(frame_fraction, data['annotations']) if f > 0)
    fraction = on_frame[len(on_frame) // 2]
    scores = sorted(a['score'] for a in data['annotations'])
    low, high = scores[len(scores) // 4], scores[len(scores) // 2]
    dataset = build(scenes, path, min_score=high, ignore_score=low,
                    ignore_frame_fraction=fraction)
    check_ignored(dataset, data, low, high, lambda a: frame_fraction(a) > fraction)
    for bad in (0, 1.5):
        with pytest.raises(UserInputError, match='ignore_frame_fraction must be in'):
            build(scenes, path, ignore_frame_fraction=bad)
    trained = next(a for a in data['annotations'] if a['score'] >= high)
    x, y, w, h = trained['bbox']
    trained['segmentation'] = [[x, y, x + w, y, x + w, y + h]]  # a polygon
    path.write_text(json.dumps(data))
    with pytest.raises(UserInputError, match=f'annotation {trained["id"]}: .*needs masks as RLE'):
        build(scenes, path, min_score=high, ignore_frame_fraction=fraction)
    one_row = mask_utils.encode(np.ones((1, 8, 1), np.uint8, order='F'))[0]
    trained['segmentation'] = dict(size=one_row['size'], counts=one_row['counts'].decode())
    path.write_text(json.dumps(data))
    with pytest.raises(UserInputError, match=f'annotation {trained["id"]}: a 1 x 8 px mask'):
        build(scenes, path, min_score=high, ignore_frame_fraction=fraction)
