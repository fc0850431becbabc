"""FreeMaskLabelDataset and its loading and packing keep each pseudo-label's score and emb."""
import json

import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS

from mmengine.registry import init_default_scope

import mmfreesolo  # noqa: F401
from mmfreesolo.errors import UserInputError

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadFreeMaskLabels', with_emb=True),
    dict(type='PackFreeSOLOInputs'),
]

init_default_scope('mmdet')


def pseudo_label_file(scenes, tmp_path, emb=True, empty_image=True):
    """The scenes' train ground truth as a pseudo-label file: score = 0.5 + id / 1000 and an
    embedding (id, 0, 0, 1); the first image's masks removed when ``empty_image``."""
    data = json.loads((scenes / 'annotations' / 'instances_train.json').read_text())
    first = data['images'][0]['id']
    if empty_image:
        data['annotations'] = [a for a in data['annotations'] if a['image_id'] != first]
    for ann in data['annotations']:
        ann['score'] = 0.5 + ann['id'] / 1000
        if emb:
            ann['emb'] = [float(ann['id']), 0.0, 0.0, 1.0]
    path = tmp_path / 'labels.json'
    path.write_text(json.dumps(data))
    return path, data


def build(scenes, path, **kwargs):
    return DATASETS.build(dict(type='FreeMaskLabelDataset', data_root=str(scenes),
                               ann_file=str(path), data_prefix=dict(img='train/'),
                               pipeline=PIPELINE, **kwargs))


def test_scores_and_embeddings_reach_the_data_sample(scenes, tmp_path):
    path, data = pseudo_label_file(scenes, tmp_path)
    dataset = build(scenes, path, with_emb=True)
    assert len(dataset) == len(data['images']) - 1        # the image without masks is skipped

    by_image = {}
    for ann in data['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        anns = sorted(by_image[sample.img_id], key=lambda a: a['id'])
        gt = sample.gt_instances
        assert len(gt) == len(anns)
        ids = gt.embs[:, 0].round().long().tolist()
        assert ids == [a['id'] for a in anns]
        torch.testing.assert_close(gt.scores, torch.tensor([a['score'] for a in anns]))
        assert gt.embs.shape == (len(anns), 4)
        assert gt.masks.masks.shape[0] == len(anns)


def test_missing_embedding_is_a_clear_error(scenes, tmp_path):
    path, _ = pseudo_label_file(scenes, tmp_path, emb=False)
    with pytest.raises(UserInputError, match='has no "emb"'):
        build(scenes, path, with_emb=True)


def test_scores_default_to_one_and_embeddings_are_optional(scenes, tmp_path):
    dataset = DATASETS.build(dict(
        type='FreeMaskLabelDataset', data_root=str(scenes),
        ann_file='annotations/instances_train.json', data_prefix=dict(img='train/'),
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadFreeMaskLabels'),
                  dict(type='PackFreeSOLOInputs')]))
    gt = dataset[0]['data_samples'].gt_instances
    assert len(gt) > 0 and 'embs' not in gt
    assert np.all(gt.scores.numpy() == 1.0)


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
