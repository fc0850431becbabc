"""SelfTrainingHook on a real Runner: the labels it writes, their manifest, and resuming."""
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from conftest import REPO
from mmfreesolo.engine import SelfTrainingHook
from mmfreesolo.errors import UserInputError
from mmfreesolo.fileio.images import read_image
from mmfreesolo.pseudo_labels import labelling as chunked_labelling
from mmfreesolo.pseudo_labels.label_file import label_file_complete as labels_complete
from mmfreesolo.pseudo_labels.label_file import manifest_path
from mmfreesolo.pseudo_labels.labelling_failures import LabellingStopped
from mmfreesolo.pseudo_labels.mask_refinement import AffinityMaskRefinement

CONFIG = str(REPO / 'configs' / 'freesolo_mobilenetv2_scenes_cpu.py')


@pytest.fixture(scope='module')
def runner(scenes, tmp_path_factory):
    """The FreeSOLO CPU config's untrained model, its training set the scenes' 8 train images.

    The test config keeps every prediction (an untrained model scores about 0.01), so that the
    selection rules have plenty to act on.
    """
    mp = pytest.MonkeyPatch()
    mp.setenv('MMFREESOLO_SCENES', str(scenes) + '/')
    cfg = Config.fromfile(CONFIG)
    mp.undo()
    cfg.work_dir = str(tmp_path_factory.mktemp('hook_work'))
    cfg.train_dataloader.dataset.ann_file = 'annotations/instances_train.json'
    cfg.model.test_cfg.update(score_thr=0.0, filter_thr=0.0)
    return Runner.from_cfg(cfg)


def _labels(path):
    return json.loads(open(path).read())


def test_labels_every_training_image_once_within_the_rules(runner, scenes, tmp_path):
    out = str(tmp_path / 'labels.json')
    hook = SelfTrainingHook(out_file=out, score_thr=0.005, max_per_img=2, chunk_size=3)
    assert hook.make_labels(runner) == out
    labels = _labels(out)
    train = _labels(scenes / 'annotations' / 'instances_train.json')
    assert [img['id'] for img in labels['images']] == sorted(img['id'] for img in train['images'])
    assert [img['file_name'] for img in labels['images']] == [
        img['file_name'] for img in sorted(train['images'], key=lambda i: i['id'])]

    widths = {img['id']: img['width'] for img in labels['images']}
    per_image = {}
    for ann in labels['annotations']:
        per_image[ann['image_id']] = per_image.get(ann['image_id'], 0) + 1
        assert ann['score'] >= 0.005 and ann['category_id'] == 1
        mask = mask_utils.decode(ann['segmentation'])
        ys, xs = np.nonzero(mask)
        assert ann['bbox'] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                               ys.max() - ys.min() + 1]
        assert ann['bbox'][2] < 0.95 * widths[ann['image_id']]
        assert ann['area'] == mask.sum()
    assert per_image and max(per_image.values()) <= 2
    ids = [a['id'] for a in labels['annotations']]
    assert ids == list(range(1, len(ids) + 1))

    manifest = _labels(manifest_path(out))
    assert manifest['num_images'] == 8 and manifest['num_skipped'] == 0
    assert manifest['num_masks'] == len(labels['annotations'])
    assert manifest['max_masks_per_image'] == max(per_image.values())
    assert manifest['images_without_masks'] == 8 - len(per_image)
    assert manifest['selection'] == dict(score_thr=0.005, max_per_img=2, max_width_ratio=0.95)
    # an untrained model: most masks span the image; the cap binds on some images
    assert manifest['dropped']['near_full_width'] > 0
    assert manifest['dropped']['over_max_per_img'] > 0
    assert manifest['trained_on'].endswith('instances_train.json')
    assert labels_complete(out) and not (tmp_path / 'labels.json.parts').exists()


def _masks_by_image(labels):
    masks = {img['id']: [] for img in labels['images']}
    for ann in labels['annotations']:
        masks[ann['image_id']].append((ann['score'], mask_utils.decode(ann['segmentation'])))
    return masks


def test_refined_labels_are_the_selected_masks_snapped_to_colour_edges(runner, scenes, tmp_path):
    plain, refined = str(tmp_path / 'plain.json'), str(tmp_path / 'refined.json')
    SelfTrainingHook(out_file=plain, score_thr=0.005, max_per_img=3).make_labels(runner)
    SelfTrainingHook(out_file=refined, score_thr=0.005, max_per_img=3,
                     mask_refinement=dict(iterations=5)).make_labels(runner)
    refinement = AffinityMaskRefinement(iterations=5)
    plain_labels, refined_labels = _labels(plain), _labels(refined)
    got, plain_masks = _masks_by_image(refined_labels), _masks_by_image(plain_labels)
    emptied = changed = 0
    for img in plain_labels['images']:
        pairs = plain_masks[img['id']]
        if not pairs:
            assert got[img['id']] == []
            continue
        scores, masks = zip(*pairs)
        image = read_image(str(scenes / 'train' / img['file_name']))
        expected = refinement.refine_masks(torch.from_numpy(np.stack(masks)).bool(), image)
        kept = [(s, m.numpy()) for s, m in zip(scores, expected) if m.any()]
        emptied += len(masks) - len(kept)
        changed += sum(not np.array_equal(m, p) for (_, m), p in zip(kept, masks))
        assert [s for s, _ in got[img['id']]] == [s for s, _ in kept]
        assert all(np.array_equal(g, m) for (_, g), (_, m) in zip(got[img['id']], kept))
    assert changed > 0, 'the refinement moved some masks'
    manifest = _labels(manifest_path(refined))
    assert manifest['mask_refinement'] == refined_labels['info']['mask_refinement'] == dict(
        dilations=[1, 2, 4, 8], iterations=5, temperature=0.3, threshold=0.5)
    assert manifest['dropped']['empty_after_refinement'] == emptied
    assert 'mask_refinement' not in _labels(plain)['info']


def test_interrupted_labelling_resumes_from_its_finished_chunks(runner, tmp_path, monkeypatch):
    clean = str(tmp_path / 'clean.json')
    SelfTrainingHook(out_file=clean, score_thr=0.005, chunk_size=2).make_labels(runner)

    calls = []
    label_batch = chunked_labelling.label_batch

    def interrupted(model, batch, *args):
        calls.append(len(batch))
        if len(calls) == 3:  # chunk 0 (2 images) is written, chunk 1 half done
            raise KeyboardInterrupt
        return label_batch(model, batch, *args)

    out = str(tmp_path / 'resumed.json')
    hook = SelfTrainingHook(out_file=out, score_thr=0.005, chunk_size=2)
    monkeypatch.setattr(chunked_labelling, 'label_batch', interrupted)
    with pytest.raises(KeyboardInterrupt):
        hook.make_labels(runner)
    assert not labels_complete(out)
    assert sorted(p.name for p in (tmp_path / 'resumed.json.parts').iterdir()) == [
        'chunk-000000.json', 'run.json']

    # other settings cannot continue those chunks
    with pytest.raises(UserInputError, match='other settings'):
        SelfTrainingHook(out_file=out, score_thr=0.5, chunk_size=2).make_labels(runner)

    calls.clear()
    monkeypatch.setattr(chunked_labelling, 'label_batch',
                        lambda model, batch, *args: calls.append(len(batch)) or
                        label_batch(model, batch, *args))
    hook.make_labels(runner)
    assert sum(calls) == 6, 'only the 6 images of the unfinished chunks are labelled again'
    assert _labels(out) == _labels(clean)
    calls.clear()
    hook.make_labels(runner)
    assert calls == [], 'complete labels are not redone'


def test_training_set_without_image_folder_is_an_error(runner, tmp_path, monkeypatch):
    dataset = runner.cfg.train_dataloader.dataset
    monkeypatch.setitem(dataset, 'data_prefix', {})
    with pytest.raises(UserInputError, match='data_prefix.img'):
        SelfTrainingHook(out_file=str(tmp_path / 'x.json')).make_labels(runner)


def test_a_model_failing_on_every_image_stops_the_labelling(runner, tmp_path, monkeypatch):
    model = runner.model

    def broken(*args, **kwargs):
        raise RuntimeError('the head is broken')

    monkeypatch.setattr(model, 'test_step', broken)
    out = str(tmp_path / 'labels.json')
    with pytest.raises(LabellingStopped) as stopped:
        SelfTrainingHook(out_file=out, chunk_size=2).make_labels(runner)
    message = str(stopped.value)
    assert '\n' not in message
    assert 'the same error failed 5 images in a row' in message
    assert 'RuntimeError: the head is broken' in message
    assert not labels_complete(out)
    assert sorted(p.name for p in (tmp_path / 'labels.json.parts').iterdir()) == ['run.json']
