"""FreeMaskLabelDataset: pseudo-labels filtered by their score, the score checked."""
import json

import pytest
from mmdet.registry import DATASETS
from mmengine.registry import init_default_scope

import mmfreesolo  # noqa: F401
from mmfreesolo.errors import UserInputError

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
