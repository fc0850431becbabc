import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from conftest import REPO, assert_ok, run
from mmfreesolo.errors import UserInputError
from mmfreesolo.evaluation import ClassAgnosticCocoMetric, evaluate_class_agnostic
from mmfreesolo.evaluation.class_agnostic_eval import load_coco_gt
from mmfreesolo.structures import mask_to_annotation


def _rect(h, w, x, y, bw, bh):
    mask = np.zeros((h, w), bool)
    mask[y:y + bh, x:x + bw] = True
    return mask


def _hand_built():
    """One 100x100 image, two 40x40 objects; predictions of IoU 0.9 and 0.725 with them."""
    gt_masks = [_rect(100, 100, 5, 5, 40, 40), _rect(100, 100, 55, 55, 40, 40)]
    gt = dict(images=[dict(id=1, file_name='a.png', height=100, width=100)],
              categories=[dict(id=1, name='person'), dict(id=2, name='car')],
              annotations=[dict(id=i + 1, image_id=1, category_id=1 + i, **mask_to_annotation(m))
                           for i, m in enumerate(gt_masks)])
    # Same left/top edges, shorter: IoU = height / 40.
    preds = [(_rect(100, 100, 5, 5, 40, 36), 0.9), (_rect(100, 100, 55, 55, 40, 29), 0.8)]
    # Every prediction says "person": class-aware, the "car" would be missed.
    dets = [dict(image_id=1, category_id=1, score=s, **mask_to_annotation(m)) for m, s in preds]
    return gt, dets


def _coco(gt):
    coco = COCO()
    coco.dataset = json.loads(json.dumps(gt))
    coco.createIndex()
    return coco


@pytest.mark.parametrize('iou_type', ['segm', 'bbox'])
def test_hand_built_ious_give_the_hand_computed_ap(iou_type):
    gt, dets = _hand_built()
    stats = evaluate_class_agnostic(_coco(gt), dets, iou_type)
    # IoU thresholds .50:.05:.95. Up to .70 both match (AP 1). At .75-.90 only the IoU-0.9
    # prediction, ranked first, matches: precision 1 up to recall 0.5, i.e. 51 of COCO's 101
    # recall points. At .95 nothing matches.
    half = 51 / 101
    assert stats['mAP'] == pytest.approx((5 * 1 + 4 * half + 0) / 10)
    assert stats['mAP_50'] == pytest.approx(1.0)
    assert stats['mAP_75'] == pytest.approx(half)
    assert stats['AR@1'] == pytest.approx((5 * 0.5 + 4 * 0.5) / 10)
    assert stats['AR@100'] == pytest.approx((5 * 1 + 4 * 0.5) / 10)
    assert stats['mAP_l'] == -1 and stats['mAP_m'] == pytest.approx(stats['mAP'])


def test_max_dets_caps_the_detections_scored_per_image():
    """30 objects, each found exactly: COCO's default of 100 scores them all; at most 20 finds
    20 of 30 (the 20 best scored), and the recall names say the cap."""
    masks = [_rect(200, 300, 10 * (i % 10) * 3, 60 * (i // 10), 25, 50) for i in range(30)]
    gt = dict(images=[dict(id=1, file_name='a.png', height=200, width=300)],
              categories=[dict(id=1, name='object')],
              annotations=[dict(id=i + 1, image_id=1, category_id=1, **mask_to_annotation(m))
                           for i, m in enumerate(masks)])
    dets = [dict(image_id=1, score=1 - i / 100, **mask_to_annotation(m))
            for i, m in enumerate(masks)]
    assert evaluate_class_agnostic(_coco(gt), dets, 'segm')['AR@100'] == pytest.approx(1.0)
    capped = evaluate_class_agnostic(_coco(gt), dets, 'segm', max_dets=20)
    assert capped['AR@20'] == pytest.approx(20 / 30) and 'AR@100' not in capped
    assert capped['AR@10'] == pytest.approx(10 / 30)
    raised = evaluate_class_agnostic(_coco(gt), dets, 'segm', max_dets=300)
    assert raised['AR@300'] == pytest.approx(1.0) and raised['mAP'] == pytest.approx(1.0)
    with pytest.raises(UserInputError, match='max_dets must be at least 10'):
        evaluate_class_agnostic(_coco(gt), dets, 'segm', max_dets=5)


def test_class_aware_evaluation_would_miss_the_other_category():
    gt, dets = _hand_built()
    coco_gt = _coco(gt)
    evaluator = COCOeval(coco_gt, coco_gt.loadRes(dets), 'segm')
    evaluator.evaluate(), evaluator.accumulate()
    evaluator.summarize()
    class_aware_ap50 = evaluator.stats[1]
    assert class_aware_ap50 < 0.6
    assert evaluate_class_agnostic(coco_gt, dets, 'segm')['mAP_50'] == pytest.approx(1.0)


@pytest.mark.parametrize('iou_type', ['segm', 'bbox'])
def test_ground_truth_as_predictions_scores_one(scenes, iou_type):
    coco_gt = load_coco_gt(str(scenes / 'annotations/instances_val.json'))
    dets = [dict(image_id=a['image_id'], category_id=1, score=1.0, bbox=a['bbox'],
                 segmentation=a['segmentation']) for a in coco_gt.dataset['annotations']]
    stats = evaluate_class_agnostic(coco_gt, dets, iou_type)
    for name in ('mAP', 'mAP_50', 'mAP_75', 'AR@100'):
        assert stats[name] == pytest.approx(1.0)


def test_no_detections_score_zero_and_unknown_images_are_named():
    gt, dets = _hand_built()
    assert evaluate_class_agnostic(_coco(gt), [], 'segm')['mAP'] == 0.0
    dets[0]['image_id'] = 42
    with pytest.raises(UserInputError, match='not in the ground truth'):
        evaluate_class_agnostic(_coco(gt), dets, 'segm')


def _data_samples(coco_gt):
    """mmdet's test outputs for the val images, predicting exactly the ground truth."""
    samples = []
    for img in coco_gt.dataset['images']:
        anns = coco_gt.imgToAnns[img['id']]
        masks = np.stack([mask_utils.decode(a['segmentation']) for a in anns]).astype(bool)
        boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)])
        samples.append(dict(
            img_id=img['id'], ori_shape=(img['height'], img['width']),
            pred_instances=dict(masks=torch.from_numpy(masks),
                                bboxes=torch.from_numpy(boxes).float(),
                                scores=torch.ones(len(anns)),
                                labels=torch.zeros(len(anns), dtype=torch.long))))
    return samples


@pytest.mark.parametrize('with_ann_file', [True, False])
def test_metric_in_mmengine_evaluator(scenes, tmp_path, with_ann_file):
    from mmengine.evaluator import Evaluator
    ann_file = str(scenes / 'annotations/instances_val.json')
    coco_gt = load_coco_gt(ann_file)
    samples = _data_samples(coco_gt)
    if not with_ann_file:  # the metric converts the samples' ground truth itself
        for sample in samples:
            sample['instances'] = [
                dict(bbox_label=0, ignore_flag=0, mask=a['segmentation'],
                     bbox=[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                           a['bbox'][1] + a['bbox'][3]])
                for a in coco_gt.imgToAnns[sample['img_id']]]
            sample['width'], sample['height'] = sample['ori_shape'][1], sample['ori_shape'][0]
    evaluator = Evaluator(ClassAgnosticCocoMetric(ann_file=ann_file if with_ann_file else None,
                                                  outfile_prefix=str(tmp_path / 'res')))
    evaluator.dataset_meta = dict(classes=('object', ))
    evaluator.process(samples)
    metrics = evaluator.evaluate(len(samples))
    assert metrics['agnostic/segm_mAP'] == pytest.approx(1.0)
    assert metrics['agnostic/bbox_mAP'] == pytest.approx(1.0, abs=1e-3)
    assert (tmp_path / 'res.segm.json').exists()


def test_metric_names_a_malformed_ann_file(tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"images": [')
    with pytest.raises(UserInputError, match='bad.json: not valid JSON'):
        ClassAgnosticCocoMetric(ann_file=str(bad))


def test_command_line_evaluates_a_pseudo_label_file(scenes, tmp_path):
    gt_file = scenes / 'annotations/instances_val.json'
    gt = json.loads(gt_file.read_text())
    # A pseudo-label file lists the same images under other ids; no scores.
    pseudo = dict(images=[dict(img, id=img['id'] + 100) for img in gt['images']],
                  annotations=[dict(a, image_id=a['image_id'] + 100) for a in gt['annotations']],
                  categories=[dict(id=1, name='object')])
    pseudo_file = tmp_path / 'pseudo.json'
    pseudo_file.write_text(json.dumps(pseudo))
    out = tmp_path / 'metrics.json'
    result = run([str(REPO / 'tools/evaluate.py'), str(gt_file), str(pseudo_file),
                  '--out', str(out)])
    assert_ok(result)
    assert 'AR@100' in result.stdout and 'segm' in result.stdout
    metrics = json.loads(out.read_text())
    assert set(metrics) == {'segm', 'bbox'}
    assert metrics['segm']['mAP'] == pytest.approx(1.0)
    assert set(metrics['segm']) >= {'mAP', 'mAP_50', 'mAP_75', 'AR@1', 'AR@10', 'AR@100',
                                    'mAP_s', 'mAP_m', 'mAP_l'}
    # the same numbers as a results list
    results = [dict(image_id=a['image_id'], category_id=1, score=1.0,
                    segmentation=a['segmentation'], bbox=a['bbox']) for a in gt['annotations']]
    results_file = tmp_path / 'results.json'
    results_file.write_text(json.dumps(results))
    again = run([str(REPO / 'tools/evaluate.py'), str(gt_file), str(results_file),
                 '--iou-type', 'segm'])
    assert_ok(again)
