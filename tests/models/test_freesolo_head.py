"""FreeSOLOHead: weak mask losses on SOLOv2, boxes from masks, colour similarity plumbing."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks, mask2bbox
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.structures import InstanceData

from conftest import REPO
from mmfreesolo.models.dense_heads import box_coverage, box_masks
from mmfreesolo.structures import largest_pieces

CONFIG = str(REPO / 'configs/freesolo_mobilenetv2_scenes_cpu.py')


def test_box_masks_and_mask2bbox():
    masks = torch.zeros(3, 6, 8, dtype=torch.bool)
    masks[0, 1, 2] = masks[0, 4, 5] = True      # two pixels: the box spans between them
    masks[1, 2:4, 0:3] = True
    expected = torch.zeros(3, 6, 8)
    expected[0, 1:5, 2:6] = 1
    expected[1, 2:4, 0:3] = 1
    assert torch.equal(box_masks(masks), expected)
    assert mask2bbox(masks).tolist() == [[2, 1, 6, 5], [0, 2, 3, 4], [0, 0, 0, 0]]


def test_box_coverage_by_hand():
    logits = torch.full((3, 4, 5), -1.0)
    boxes = torch.zeros(3, 4, 5)
    boxes[0, 1:3, 1:4] = 1                      # 6 box pixels, 3 predicted; 1 of 14 outside
    logits[0, 1, 1:4] = 2.0
    logits[0, 0, 0] = 5.0
    boxes[1, :, :] = 1                          # no pixel outside the box: 0, not NaN
    logits[1, 0, 0] = 0.0                       # sigmoid 0.5 is not foreground
    logits[2] = 3.0                             # an empty box: 0 inside, everything outside
    inside, outside = box_coverage(logits, boxes)
    assert inside.tolist() == [0.5, 0.0, 0.0]
    assert outside.tolist() == pytest.approx([1 / 14, 0.0, 1.0])


@pytest.fixture(scope='module')
def model():
    register_all_modules()
    import mmfreesolo  # noqa: F401
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.checkpoint = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def _batch(num_objects=(2, 1)):
    """Two 128 px images with rectangular coarse masks (boxes computed from the masks)."""
    gen = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for n in num_objects:
        image = torch.randint(0, 256, (3, 128, 128), generator=gen, dtype=torch.uint8)
        masks = torch.zeros(n, 128, 128, dtype=torch.bool)
        for i in range(n):
            masks[i, 10 + 30 * i:50 + 30 * i, 20:70] = True
            image[:, 10 + 30 * i:50 + 30 * i, 20:70] = 40 * (i + 1)
        sample = DetDataSample(metainfo=dict(img_shape=(128, 128), ori_shape=(128, 128),
                                             pad_shape=(128, 128), scale_factor=(1.0, 1.0)))
        sample.gt_instances = InstanceData(
            masks=BitmapMasks(masks.numpy(), 128, 128), labels=torch.zeros(n, dtype=torch.long),
            bboxes=mask2bbox(masks))
        inputs.append(image)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def test_training_step_losses_and_gradients(model):
    model.train()
    data = model.data_preprocessor(_batch(), training=True)
    assert data['data_samples'][0].color_similarity.shape == (8, 32, 32)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_mask_max', 'loss_mask_avg', 'loss_pairwise', 'loss_cls',
                           'mask_cover_in_box', 'mask_cover_out_box'}
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_mask_max'] > 0 and losses['loss_mask_avg'] > 0
    assert not losses['mask_cover_in_box'].requires_grad, 'logged, not optimised'
    assert not losses['mask_cover_out_box'].requires_grad
    model.zero_grad()
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    kernel_grads = [p.grad for n, p in model.mask_head.named_parameters()
                    if 'conv_kernel' in n and p.grad is not None]
    assert kernel_grads and all(torch.isfinite(g).all() for g in kernel_grads)
    assert any(g.abs().sum() > 0 for g in kernel_grads), 'mask losses reach the kernels'
    feat_grads = [p.grad for n, p in model.mask_head.mask_feature_head.named_parameters()
                  if p.grad is not None]
    assert feat_grads and any(g.abs().sum() > 0 for g in feat_grads)


def test_counted_rows_ignore_ten_original_pixels_scaled_per_image(model):
    """10 original rows: 20 rows of an image enlarged 2x, 5 of one halved; a mask-feature row
    counts while its centre pixel (4 r + 2) lies above them."""
    head = model.mask_head
    metas = [dict(img_shape=(100, 120), scale_factor=(2.0, 2.0)),
             dict(img_shape=(100, 120), scale_factor=(0.5, 0.5)),
             dict(img_shape=(100, 120), scale_factor=(1.33, 1.37))]
    rows = head._counted_rows(metas, torch.tensor([0, 1, 2, 0]), (32, 30))
    assert rows.shape == (4, 32, 1)
    counted = rows[:, :, 0].sum(dim=1).tolist()
    # 100 - 20 = 80: r <= 19; 100 - 5 = 95: r <= 23; 100 - int(13.7) = 87: r <= 21
    assert counted == [20, 24, 22, 20]
    assert rows[0, :20].all() and not rows[0, 20:].any()


def test_level_reduction_is_the_mean_of_the_levels_means(model):
    """The head's two reductions on the same positives, against their definitions."""
    from mmfreesolo.models.losses import projection_dice_loss
    model.train()
    batch = _batch((2, 1))
    big = torch.zeros(1, 128, 128, dtype=torch.bool)
    big[0, 8:120, 10:118] = True               # sqrt(area) 110: levels 1 and 2, not 0
    gt = batch['data_samples'][1].gt_instances
    gt.masks = BitmapMasks(big.numpy(), 128, 128)
    gt.bboxes = mask2bbox(big)
    data = model.data_preprocessor(batch, training=True)
    head = model.mask_head
    feats = model.extract_feat(data['inputs'])
    kernels, cls, mask_feats = head(feats)
    gts = [s.gt_instances for s in data['data_samples']]
    metas = [s.metainfo for s in data['data_samples']]
    sims = [s.color_similarity for s in data['data_samples']]
    targets = [head._get_targets_single(g, featmap_sizes=mask_feats.shape[-2:]) for g in gts]
    preds, masks, _, levels = head._positive_masks(
        kernels, mask_feats, [t[3] for t in targets], [t[0] for t in targets])
    assert len(levels.unique()) >= 2, 'positives on several levels'
    each = projection_dice_loss(preds.sigmoid(), masks, 'max', head.loss_mask.eps)
    per_level = torch.stack([each[levels == lvl].mean() for lvl in levels.unique()]).mean()
    try:
        head.loss_reduction = 'level'
        by_level = head.loss_by_feat(kernels, cls, mask_feats, batch_gt_instances=gts,
                                     batch_img_metas=metas, batch_color_similarity=sims)
        head.loss_reduction = 'positive'
        by_positive = head.loss_by_feat(kernels, cls, mask_feats, batch_gt_instances=gts,
                                        batch_img_metas=metas, batch_color_similarity=sims)
    finally:
        head.loss_reduction = 'level'
    assert by_level['loss_mask_max'].item() == pytest.approx(per_level.item(), rel=1e-5)
    assert by_positive['loss_mask_max'].item() == pytest.approx(each.mean().item(), rel=1e-5)
    assert by_level['loss_cls'].item() == pytest.approx(by_positive['loss_cls'].item())
    # the logged coverage inside and outside each box, one positive at a time
    inside, outside = [], []
    for pred, mask in zip(preds, masks):
        ys, xs = (mask > 0.5).nonzero(as_tuple=True)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        covered = (pred > 0).float()
        inside.append(covered[y0:y1, x0:x1].mean())
        outside.append((covered.sum() - covered[y0:y1, x0:x1].sum())
                       / (covered.numel() - (y1 - y0) * (x1 - x0)))
    for losses in (by_level, by_positive):
        assert losses['mask_cover_in_box'].item() == pytest.approx(
            torch.stack(inside).mean().item(), rel=1e-6)
        assert losses['mask_cover_out_box'].item() == pytest.approx(
            torch.stack(outside).mean().item(), rel=1e-6, abs=1e-9)


def test_no_objects_gives_zero_mask_losses(model):
    model.train()
    data = model.data_preprocessor(_batch((0, 0)), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    for key in ('loss_mask_max', 'loss_mask_avg', 'loss_pairwise'):
        assert losses[key].item() == 0
    assert 'mask_cover_in_box' not in losses, 'no positives: nothing to watch'
    assert torch.isfinite(losses['loss_cls'])


def test_masks_are_not_touched_by_the_preprocessor(model):
    batch = _batch()
    before = batch['data_samples'][0].gt_instances.masks.masks.copy()
    data = model.data_preprocessor(batch, training=True)
    after = data['data_samples'][0].gt_instances.masks.masks
    assert (after[:, :128, :128] == before).all()


def test_predictions_carry_boxes_from_their_masks(model):
    model.eval()
    # an untrained model: keep whatever it finds
    model.mask_head.test_cfg.score_thr = model.mask_head.test_cfg.filter_thr = 0.0
    model.mask_head.test_cfg.mask_thr = 0.3
    with torch.no_grad():
        (result, ) = model.test_step(dict(inputs=_batch((1, ))['inputs'],
                                          data_samples=_batch((1, ))['data_samples']))
    pred = result.pred_instances
    assert len(pred) > 0
    for mask, box in zip(pred.masks.bool(), pred.bboxes):
        ys, xs = torch.nonzero(mask, as_tuple=True)
        assert box.tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


def test_largest_piece_cuts_each_predicted_mask_and_its_box(model):
    model.eval()
    cfg = model.mask_head.test_cfg
    saved = dict(cfg)
    cfg.score_thr = cfg.filter_thr = 0.0
    cfg.mask_thr = 0.3
    try:
        with torch.no_grad():
            whole = model.test_step(_batch((1, )))[0].pred_instances
            cfg.largest_piece = True
            cut = model.test_step(_batch((1, )))[0].pred_instances
    finally:
        cfg.clear()
        cfg.update(saved)
    assert torch.equal(cut.scores, whole.scores)
    assert torch.equal(cut.masks, largest_pieces(whole.masks.bool()))
    assert torch.equal(cut.bboxes, mask2bbox(cut.masks))
    assert (cut.masks != whole.masks).any(), 'the untrained masks have pieces to cut'


def test_pairwise_warmup_follows_the_training_iteration(model):
    """The ramp reads the Runner's iteration from the MessageHub (0 outside a Runner): the same
    batch gives 0 at iteration 0, a quarter at 25 of 100 warm-up iterations, all of it after."""
    from mmengine.logging import MessageHub
    model.train()
    data = model.data_preprocessor(_batch(), training=True)
    hub = MessageHub.get_current_instance()
    warmup = model.mask_head.loss_pairwise.warmup_iters
    values = []
    try:
        for iteration in (0, warmup // 4, warmup, 3 * warmup):
            hub.update_info('iter', iteration)
            values.append(model.loss(data['inputs'], data['data_samples'])['loss_pairwise'])
    finally:
        hub.update_info('iter', 0)
    full = values[2].item()
    assert full > 0 and values[0].item() == 0
    assert values[1].item() == pytest.approx(full * (warmup // 4) / warmup, rel=1e-5)
    assert values[3].item() == pytest.approx(full, rel=1e-6)


def test_ignored_instances_leave_their_cells_out_of_the_category_loss(model):
    """An ignored label's cells (SOLOv2's assignment, as if it were kept) are neither object nor
    background in the focal loss, except where a kept label claims them; against the focal loss
    of every cell, summed over the cells left in."""
    from mmdet.models.losses.focal_loss import py_sigmoid_focal_loss
    model.train()
    head = model.mask_head
    batch = _batch((1, 1))
    away = torch.zeros(1, 128, 128, dtype=torch.bool)
    away[0, 70:110, 80:120] = True             # an object of its own
    on_kept = torch.zeros(1, 128, 128, dtype=torch.bool)
    on_kept[0, 10:50, 20:70] = True            # where image 1's kept label lies
    for sample, mask in zip(batch['data_samples'], (away, on_kept)):
        sample.ignored_instances = InstanceData(
            masks=BitmapMasks(mask.numpy(), 128, 128), labels=torch.zeros(1, dtype=torch.long),
            bboxes=mask2bbox(mask))
    data = model.data_preprocessor(batch, training=True)
    with torch.no_grad():
        kernels, cls, mask_feats = head(model.extract_feat(data['inputs']))
    gts = [s.gt_instances for s in data['data_samples']]
    ignored = [s.ignored_instances for s in data['data_samples']]
    metas = [s.metainfo for s in data['data_samples']]
    sims = [s.color_similarity for s in data['data_samples']]
    size = mask_feats.shape[-2:]

    def cells(instances):  # (levels, then images, then cells) labels, as the head flattens
        labels = [head._get_targets_single(i, featmap_sizes=size)[1] for i in instances]
        return torch.cat([torch.cat([img.flatten() for img in lvl]) for lvl in zip(*labels)])

    labels, ignore = cells(gts), cells(ignored)
    logits = torch.cat([lvl.permute(0, 2, 3, 1).reshape(-1, 1) for lvl in cls])
    each = py_sigmoid_focal_loss(logits, (labels == 0).long()[:, None].float(), gamma=2.0,
                                 alpha=0.25, reduction='none')[:, 0]
    left_out = (ignore == 0) & (labels == 1)
    assert left_out.any() and ((ignore == 0) & (labels == 0)).any(), 'both cases are tried'
    num_pos = int((labels == 0).sum())
    expected = each[~left_out].sum() / (num_pos + 1)
    plain = each.sum() / (num_pos + 1)
    for given, want in ((ignored, expected), (None, plain), ([None, None], plain)):
        losses = head.loss_by_feat(kernels, cls, mask_feats, batch_gt_instances=gts,
                                   batch_img_metas=metas, batch_color_similarity=sims,
                                   batch_gt_instances_ignore=given)
        assert losses['loss_cls'].item() == pytest.approx(want.item(), rel=1e-5)
    # the ignored label of image 1 lies on its kept one: nothing of image 1 is left out
    image_1 = torch.cat([torch.cat([torch.zeros(n * n, dtype=torch.bool),
                                    torch.ones(n * n, dtype=torch.bool)])
                         for n in head.num_grids])
    assert not (left_out & image_1).any()


@pytest.fixture(scope='module')
def scored_head():
    cfg = Config.fromfile(CONFIG).model.mask_head
    cfg.score_targets = True
    cfg.loss_cls = dict(type='QualityFocalLoss', use_sigmoid=True, beta=2.0, loss_weight=1.0)
    head = MODELS.build(cfg)
    head.init_weights()
    return head.train()


def _instances(boxes, scores):
    """Rectangle masks (y0, y1, x0, x1) on a 128 px image, with their scores."""
    masks = torch.zeros(len(boxes), 128, 128, dtype=torch.bool)
    for mask, (y0, y1, x0, x1) in zip(masks, boxes):
        mask[y0:y1, x0:x1] = True
    return InstanceData(masks=BitmapMasks(masks.numpy(), 128, 128), bboxes=mask2bbox(masks),
                        labels=torch.zeros(len(boxes), dtype=torch.long),
                        scores=torch.tensor(scores))


def test_score_targets_give_each_cell_the_score_of_the_label_that_claims_it(scored_head):
    """Against SOLOv2's assignment of each label alone: the second label, written after the
    first, keeps the cells both claim; labels, mask targets and positives are SOLOv2's."""
    head, size = scored_head, (32, 32)
    both = _instances([(10, 60, 10, 60), (24, 66, 24, 66)], [0.9, 0.6])
    mask_targets, labels, scores, pos_indexes = head._scored_targets_single(
        both, featmap_sizes=size)
    want_targets, want_labels, _, want_indexes = head._get_targets_single(
        both, featmap_sizes=size)
    claimed = [[grid != head.num_classes for grid in
                head._get_targets_single(both[i:i + 1], featmap_sizes=size)[1]]
               for i in range(2)]
    overlap = False
    for lvl in range(len(head.num_grids)):
        first, second = claimed[0][lvl], claimed[1][lvl]
        expected = torch.where(second, 0.6, torch.where(first, 0.9, 0.0))
        assert torch.allclose(scores[lvl], expected)
        assert torch.equal(labels[lvl], want_labels[lvl])
        assert torch.equal(mask_targets[lvl], want_targets[lvl])
        assert pos_indexes[lvl] == want_indexes[lvl]
        overlap |= bool((first & second).any())
    assert overlap, 'the case of two labels claiming a cell is tried'
    # stretched from (0.5, 0.75): 0.9 and 0.6 become 1 (clipped) and 0.4
    head.score_range = (0.5, 0.75)
    try:
        stretched = head._scored_targets_single(both, featmap_sizes=size)[2]
    finally:
        head.score_range = (0.0, 1.0)
    for lvl in range(len(head.num_grids)):
        expected = torch.where(claimed[1][lvl], 0.4, torch.where(claimed[0][lvl], 1.0, 0.0))
        assert torch.allclose(stretched[lvl], expected)
    # no labels: every cell is background, scored 0
    _, labels, scores, _ = head._scored_targets_single(both[:0], featmap_sizes=size)
    assert all((grid == head.num_classes).all() for grid in labels)
    assert all((grid == 0).all() for grid in scores)


def test_score_targets_train_the_quality_focal_loss_of_every_cell(model, scored_head):
    """loss_cls against QFL written out: BCE(logit, target) |target - sigmoid(logit)|^2 over
    every cell, target the claiming label's score (0 on background), over positives + 1."""
    head = scored_head
    batch = _batch((2, 1))
    for sample, scores in zip(batch['data_samples'], ([0.8, 0.55], [0.95])):
        sample.gt_instances.scores = torch.tensor(scores)
    data = model.data_preprocessor(batch, training=True)
    with torch.no_grad():
        kernels, cls, mask_feats = head(model.extract_feat(data['inputs']))
    gts = [s.gt_instances for s in data['data_samples']]
    size = mask_feats.shape[-2:]
    targets = [head._scored_targets_single(g, featmap_sizes=size) for g in gts]
    target = torch.cat([torch.cat([img.flatten() for img in lvl])
                        for lvl in zip(*[t[2] for t in targets])])
    num_pos = sum(len(i) for t in targets for i in t[3])
    assert target.unique().tolist() == pytest.approx([0.0, 0.55, 0.8, 0.95])
    logits = torch.cat([lvl.permute(0, 2, 3, 1).reshape(-1) for lvl in cls])
    each = (F.binary_cross_entropy_with_logits(logits, target, reduction='none')
            * (target - logits.sigmoid()).abs() ** 2)
    losses = head.loss_by_feat(kernels, cls, mask_feats, batch_gt_instances=gts,
                               batch_img_metas=[s.metainfo for s in data['data_samples']],
                               batch_color_similarity=[s.color_similarity
                                                       for s in data['data_samples']])
    assert losses['loss_cls'].item() == pytest.approx((each.sum() / (num_pos + 1)).item(),
                                                      rel=1e-5)


def test_score_targets_need_quality_focal_loss_and_scores(scored_head):
    cfg = Config.fromfile(CONFIG).model.mask_head
    cfg.score_targets = True  # with SOLOv2's focal loss
    with pytest.raises(ValueError, match='QualityFocalLoss; loss_cls is FocalLoss'):
        MODELS.build(cfg)
    cfg.loss_cls = dict(type='QualityFocalLoss', use_sigmoid=True)
    cfg.score_range = (0.8, 0.8)
    with pytest.raises(ValueError, match=r'low < high, got \(0.8, 0.8\)'):
        MODELS.build(cfg)
    unscored = _instances([(10, 60, 10, 60)], [0.9])
    del unscored.scores
    with pytest.raises(ValueError, match='LoadScoredAnnotations'):
        scored_head._scored_targets_single(unscored, featmap_sizes=(32, 32))
