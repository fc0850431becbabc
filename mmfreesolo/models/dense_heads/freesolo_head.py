"""FreeSOLOHead: SOLOv2 trained on coarse masks with weak mask losses."""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import SOLOV2Head
from mmdet.models.losses import QualityFocalLoss
from mmdet.models.utils import multi_apply
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.mask import mask2bbox
from mmdet.utils import InstanceList
from mmengine.logging import MessageHub
from mmengine.structures import InstanceData
from torch import Tensor

from ...structures.mask_pieces import largest_pieces

LOSS_REDUCTIONS = ('level', 'positive')


def _height_scale(meta: dict) -> float:
    """Resized rows per original row: mmdet's ``scale_factor`` is (w_scale, h_scale)."""
    scale = meta.get('scale_factor', (1.0, 1.0))
    return float(scale[1]) if len(scale) > 1 else float(scale[0])


def box_masks(masks: Tensor) -> Tensor:
    """(N, H, W) masks -> (N, H, W) float, 1 inside each mask's bounding box."""
    boxes = mask2bbox(masks)                                            # (N, 4) XYXY
    ys = torch.arange(masks.shape[1], device=masks.device)
    xs = torch.arange(masks.shape[2], device=masks.device)
    rows = (ys[None] >= boxes[:, 1:2]) & (ys[None] < boxes[:, 3:4])    # (N, H)
    cols = (xs[None] >= boxes[:, 0:1]) & (xs[None] < boxes[:, 2:3])    # (N, W)
    return (rows[:, :, None] & cols[:, None, :]).float()


def box_coverage(logits: Tensor, boxes: Tensor) -> Tuple[Tensor, Tensor]:
    """(N, H, W) mask logits and (N, H, W) box masks -> the share of each box's pixels, and of
    the pixels outside it, that the predicted mask (sigmoid > 0.5) covers, (N, ) each (0 where
    there are no such pixels)."""
    foreground = (logits > 0).float()
    inside = (foreground * boxes).sum((1, 2)) / boxes.sum((1, 2)).clamp(min=1.0)
    outside = ((foreground * (1 - boxes)).sum((1, 2))
               / (1 - boxes).sum((1, 2)).clamp(min=1.0))
    return inside, outside


def _flat_cells(grids: List[List[Tensor]]) -> Tensor:
    """Per image, per level (S, S) grids -> (N, ) their cells, by level, then image, then cell
    (the order of the flattened category logits)."""
    return torch.cat([torch.cat([grid.flatten() for grid in level]) for level in zip(*grids)])


def _training_iteration() -> int:
    """The Runner's current training iteration (0 outside a Runner)."""
    return MessageHub.get_current_instance().get_info('iter', 0)


@MODELS.register_module()
class FreeSOLOHead(SOLOV2Head):
    """SOLOv2's head with FreeSOLO's mask loss ``a L_avg_proj + L_max_proj + L_pairwise``.

    Targets are assigned as in SOLOv2 (by the coarse mask's box size and centre of mass); each
    positive's predicted mask (stride 4) is compared with its coarse mask through projections
    (``loss_mask``: max, ``loss_mask_avg``: mean) and a pairwise colour-affinity term inside
    the coarse mask's box. The category branch keeps SOLOv2's focal loss. Predictions get boxes
    computed from their masks (SOLOv2 returns none). Training also logs how much of the
    positives' coarse-mask boxes their predicted masks cover (``mask_cover_in_box``) and how much
    of the rest of the map (``mask_cover_out_box``): the first near 0 or the second near 1, the
    masks have collapsed to empty or to everything (``MaskCollapseHook``).

    The paper also describes a semantic-embedding loss on the category branch; the authors'
    release multiplies it by zero, so the published numbers were trained without it, and it is
    not built here (Free Mask writes each mask's embedding into the label file when asked:
    ``model.emb_dim=128`` in its config).

    Ignored instances (``ignore_flag=1``: crowds, or labels that ``FreeMaskLabelDataset`` keeps
    below its ``min_score`` with ``ignore_score``) train nothing: the grid cells that SOLOv2's
    assignment would give them are left out of the category loss, unless a kept label claims
    them, instead of being trained as background.

    With ``score_targets``, a cell's category target is the score of the label that claims it
    (``gt_instances.scores``, from ``LoadScoredAnnotations`` and ``PackScoredDetInputs``), not 1,
    through mmdet's ``QualityFocalLoss`` as ``loss_cls``: the branch learns the labels' ranking
    as well as where they lie, and a doubtful label teaches a doubtful object.

    With ``test_cfg.largest_piece``, each predicted mask (at the output size, after SOLOv2's
    Matrix NMS) keeps only its largest 4-connected piece: masks from colour-driven features also
    light up other regions of their object's colour, apart from it.

    The pairwise term's warm-up follows the training iteration, read from mmengine's
    ``MessageHub`` as mmdet's BoxInst does (so it resumes with the Runner's iteration).

    Args:
        loss_mask: the max-projection term (L_max_proj).
        loss_mask_avg: the mean-projection term (a L_avg_proj, a = 0.1).
        loss_pairwise: the pairwise affinity term, with its colour threshold and warm-up.
        pairwise_ignore_bottom: pairwise edges in the image's last rows are not counted: this
            many rows of the original image, scaled by each image's resize ratio (the release).
        loss_reduction: how the three mask terms average over the positives: 'level' (the
            release) averages each FPN level's positives, then the levels that have any;
            'positive' averages all positives at once (SOLOv2's Dice), which weighs the levels
            by their number of positives.
        score_targets: train the category branch towards each label's score (needs
            ``QualityFocalLoss`` as ``loss_cls`` and ``gt_instances.scores``).
        score_range: with ``score_targets``, scores from ``low`` to ``high`` are stretched
            linearly onto the targets 0 to 1 (clipped): Free Mask's scores of right and wrong
            labels lie close together.
    """

    def __init__(self,
                 *args,
                 loss_mask: dict = dict(type='ProjectionDiceLoss', mode='max',
                                        loss_weight=1.0),
                 loss_mask_avg: dict = dict(type='ProjectionDiceLoss', mode='mean',
                                            loss_weight=0.1),
                 loss_pairwise: Optional[dict] = dict(type='PairwiseAffinityLoss',
                                                      color_thr=0.3, warmup_iters=1000,
                                                      loss_weight=1.0),
                 pairwise_ignore_bottom: int = 10,
                 loss_reduction: str = 'level',
                 score_targets: bool = False,
                 score_range: Tuple[float, float] = (0.0, 1.0),
                 **kwargs) -> None:
        super().__init__(*args, loss_mask=loss_mask, **kwargs)
        if loss_reduction not in LOSS_REDUCTIONS:
            raise ValueError(f'loss_reduction must be one of {LOSS_REDUCTIONS}, got '
                             f'{loss_reduction!r}')
        if score_targets and not isinstance(self.loss_cls, QualityFocalLoss):
            raise ValueError('score_targets trains towards scores through QualityFocalLoss; '
                             f'loss_cls is {type(self.loss_cls).__name__}')
        if not score_range[0] < score_range[1]:
            raise ValueError(f'score_range must be (low, high) with low < high, got {score_range}')
        self.score_targets = score_targets
        self.score_range = tuple(score_range)
        self.loss_reduction = loss_reduction
        self.loss_mask_avg = MODELS.build(loss_mask_avg)
        self.loss_pairwise = MODELS.build(loss_pairwise) if loss_pairwise else None
        self.pairwise_ignore_bottom = pairwise_ignore_bottom

    def loss(self, x, batch_data_samples: SampleList, **kwargs) -> dict:
        """Hand the samples' colour similarity (set by FreeSOLODataPreprocessor) to the loss."""
        if self.loss_pairwise is not None:
            kwargs['batch_color_similarity'] = [s.color_similarity for s in batch_data_samples]
        return super().loss(x, batch_data_samples, **kwargs)

    def _positive_masks(self, mlvl_kernel_preds: List[Tensor], mask_feats: Tensor,
                        pos_indexes, pos_mask_targets):
        """Predicted mask logits (P, h, w), coarse masks (P, h, w), and the image and the FPN
        level (P, ) of every positive grid cell."""
        preds, targets, images, levels = [], [], [], []
        for lvl, lvl_kernels in enumerate(mlvl_kernel_preds):
            for img, kernels in enumerate(lvl_kernels):
                index = pos_indexes[img][lvl]
                if len(index) == 0:
                    continue
                kernel = kernels.flatten(1)[:, index].t()          # (P, C * k * k)
                pred = F.conv2d(mask_feats[img:img + 1],
                                kernel.reshape(len(index), -1, self.dynamic_conv_size,
                                               self.dynamic_conv_size))
                preds.append(pred[0])
                targets.append(pos_mask_targets[img][lvl])
                images.append(torch.full((len(index), ), img, device=mask_feats.device))
                levels.append(torch.full((len(index), ), lvl, device=mask_feats.device))
        if not preds:
            return None, None, None, None
        return (torch.cat(preds), torch.cat(targets).float(), torch.cat(images),
                torch.cat(levels))

    def loss_by_feat(self, mlvl_kernel_preds: List[Tensor], mlvl_cls_preds: List[Tensor],
                     mask_feats: Tensor, *,
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_color_similarity: Optional[List[Tensor]] = None,
                     batch_gt_instances_ignore: Optional[List[Optional[InstanceData]]] = None,
                     **kwargs) -> dict:
        """
        Args:
            mlvl_kernel_preds: per level (B, C * k * k, S, S) dynamic kernels.
            mlvl_cls_preds: per level (B, 1, S, S) category logits.
            mask_feats: (B, C, H / 4, W / 4) unified mask features.
            batch_color_similarity: per image (K, H / 4, W / 4).
            batch_gt_instances_ignore: per image the ignored instances (or None), from
                mmdet's ``unpack_gt_instances``.
        """
        featmap_size = mask_feats.shape[-2:]
        pos_mask_targets, labels, scores, pos_indexes = multi_apply(
            self._scored_targets_single, batch_gt_instances, featmap_sizes=featmap_size)
        preds, targets, images, levels = self._positive_masks(mlvl_kernel_preds, mask_feats,
                                                              pos_indexes, pos_mask_targets)
        num_pos = 0 if preds is None else len(preds)
        losses = {}
        if num_pos == 0:
            zero = mask_feats.sum() * 0
            losses.update(loss_mask_max=zero, loss_mask_avg=zero)
            if self.loss_pairwise is not None:
                losses['loss_pairwise'] = zero
        else:
            groups = levels if self.loss_reduction == 'level' else None
            losses['loss_mask_max'] = self.loss_mask(preds, targets, avg_factor=num_pos,
                                                     groups=groups)
            losses['loss_mask_avg'] = self.loss_mask_avg(preds, targets, avg_factor=num_pos,
                                                         groups=groups)
            boxes = box_masks(targets > 0.5)
            if self.loss_pairwise is not None:
                region = boxes * self._counted_rows(batch_img_metas, images, featmap_size)
                losses['loss_pairwise'] = self.loss_pairwise(
                    preds, torch.stack(batch_color_similarity), region, image_index=images,
                    groups=groups, iteration=_training_iteration())
            # logged, not optimised (no 'loss' in their names): MaskCollapseHook watches them
            inside, outside = box_coverage(preds.detach(), boxes)
            losses.update(mask_cover_in_box=inside.mean(), mask_cover_out_box=outside.mean())

        flat_labels = _flat_cells(labels)
        flat_cls = torch.cat([
            lvl_cls.permute(0, 2, 3, 1).reshape(-1, self.num_classes)
            for lvl_cls in mlvl_cls_preds
        ])
        weight = self._category_weight(flat_labels, batch_gt_instances_ignore, featmap_size)
        target = (flat_labels, _flat_cells(scores)) if self.score_targets else flat_labels
        losses['loss_cls'] = self.loss_cls(flat_cls, target, weight=weight,
                                           avg_factor=num_pos + 1)
        return losses

    def _scored_targets_single(self, gt_instances: InstanceData, featmap_sizes) -> tuple:
        """SOLOv2's targets of one image (positives' mask targets, (S, S) labels, positives'
        indexes per level), and per level the (S, S) target score of the label each cell is
        assigned (its score stretched by ``score_range``; 0 for background; None without
        ``score_targets``)."""
        if not self.score_targets:
            mask_targets, labels, _, pos_indexes = self._get_targets_single(
                gt_instances, featmap_sizes=featmap_sizes)
            return mask_targets, labels, None, pos_indexes
        if 'scores' not in gt_instances:
            raise ValueError('score_targets needs gt_instances.scores: load the annotations with '
                             'LoadScoredAnnotations and pack them with PackScoredDetInputs')
        # SOLOv2 writes each label into the cells it claims, a later one over an earlier one:
        # given label i written as background + 1 + i, the grid names who claimed each cell
        background, num = self.num_classes, len(gt_instances)
        tags = torch.arange(num, device=gt_instances.labels.device) + background + 1
        tagged = InstanceData(bboxes=gt_instances.bboxes, masks=gt_instances.masks, labels=tags)
        mask_targets, tag_grids, _, pos_indexes = self._get_targets_single(
            tagged, featmap_sizes=featmap_sizes)
        # one more entry, for the cells nobody claims
        all_labels = torch.cat([gt_instances.labels, tags.new_tensor([background])])
        low, high = self.score_range
        targets = ((gt_instances.scores.float() - low) / (high - low)).clamp(0, 1)
        all_scores = torch.cat([targets, tags.new_zeros(1, dtype=torch.float)])
        owners = [torch.where(grid > background, grid - background - 1, num)
                  for grid in tag_grids]
        return (mask_targets, [all_labels[owner] for owner in owners],
                [all_scores[owner] for owner in owners], pos_indexes)

    def _category_weight(self, flat_labels: Tensor,
                         batch_gt_instances_ignore: Optional[List[Optional[InstanceData]]],
                         featmap_size) -> Optional[Tensor]:
        """(N, ) weights of the flattened grid cells (levels, then images, then cells, as
        ``flat_labels``): 0 for the background cells that an ignored instance would be assigned
        (SOLOv2's assignment run on the ignored instances), 1 elsewhere; None when no image has
        an ignored instance."""
        ignored = [i if i is not None and len(i) > 0 else None
                   for i in batch_gt_instances_ignore or []]
        if not any(i is not None for i in ignored):
            return None
        ignore_labels = [  # per image, per level (S, S)
            [flat_labels.new_full((n, n), self.num_classes) for n in self.num_grids]
            if i is None else self._get_targets_single(i, featmap_sizes=featmap_size)[1]
            for i in ignored]
        flat_ignore = _flat_cells(ignore_labels)
        dropped = (flat_ignore != self.num_classes) & (flat_labels == self.num_classes)
        return (~dropped).float()

    def _counted_rows(self, batch_img_metas: List[dict], images: Tensor,
                      featmap_size) -> Tensor:
        """(P, h, 1): 1 for the mask-feature rows of each positive's image whose centre lies
        above the image's ignored bottom rows (and above the padding).

        The ignored rows are ``pairwise_ignore_bottom`` rows of the original image, so
        ``int(pairwise_ignore_bottom x h_scale)`` rows of the resized one.
        """
        counted = torch.tensor([
            meta['img_shape'][0] - int(self.pairwise_ignore_bottom * _height_scale(meta))
            for meta in batch_img_metas
        ], device=images.device)
        centres = (torch.arange(featmap_size[0], device=images.device) * self.mask_stride
                   + self.mask_stride // 2)
        return (centres[None, :] < counted[images][:, None]).float()[:, :, None]

    def predict_by_feat(self, mlvl_kernel_preds: List[Tensor], mlvl_cls_scores: List[Tensor],
                        mask_feats: Tensor, **kwargs) -> InstanceList:
        """SOLOv2's predictions, each mask cut to its largest piece with
        ``test_cfg.largest_piece``, with boxes computed from their masks."""
        results = super().predict_by_feat(mlvl_kernel_preds, mlvl_cls_scores, mask_feats,
                                          **kwargs)
        largest_piece = (self.test_cfg or {}).get('largest_piece', False)
        for result in results:
            if largest_piece:
                result.masks = largest_pieces(result.masks.bool())
            result.bboxes = mask2bbox(result.masks.bool())
        return results
