"""FreeSOLOHead: SOLOv2 trained on coarse masks with weak mask losses."""
from __future__ import annotations

from typing import List, Optional

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import SOLOV2Head
from mmdet.models.utils import multi_apply
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ...structures import boxes_from_masks

LOSS_REDUCTIONS = ('level', 'positive')


def _height_scale(meta: dict) -> float:
    """Resized rows per original row: mmdet's ``scale_factor`` is (w_scale, h_scale)."""
    scale = meta.get('scale_factor', (1.0, 1.0))
    return float(scale[1]) if len(scale) > 1 else float(scale[0])


def box_masks(masks: Tensor) -> Tensor:
    """(N, H, W) masks -> (N, H, W) float, 1 inside each mask's bounding box."""
    rows = masks.any(dim=2)
    cols = masks.any(dim=1)

    def span(hit: Tensor) -> Tensor:  # (N, L) -> (N, L), True between first and last hit
        return (hit.cumsum(dim=1) > 0) & (hit.flip(1).cumsum(dim=1).flip(1) > 0)

    return (span(rows)[:, :, None] & span(cols)[:, None, :]).float()


@MODELS.register_module()
class FreeSOLOHead(SOLOV2Head):
    """SOLOv2's head with FreeSOLO's mask loss ``a L_avg_proj + L_max_proj + L_pairwise``.

    Targets are assigned as in SOLOv2 (by the coarse mask's box size and centre of mass); each
    positive's predicted mask (stride 4) is compared with its coarse mask through projections
    (``loss_mask``: max, ``loss_mask_avg``: mean) and a pairwise colour-affinity term inside
    the coarse mask's box. The category branch keeps SOLOv2's focal loss. Predictions get boxes
    computed from their masks (SOLOv2 returns none).

    With ``loss_emb``, a 3x3 conv beside the category classifier predicts an ``emb_dim``
    embedding per grid cell, pulled towards the embedding of the coarse mask the cell is
    assigned to (``gt_instances.embs``, loaded from Free Mask's ``emb``) by ``1 - cos``. The
    paper describes this loss; the authors' release weights it by zero, so it is off by default.

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
        loss_emb: the semantic-embedding term, e.g. ``dict(type='EmbeddingCosineLoss')``.
        emb_dim: length of the embeddings (Free Mask's ``emb_dim``).
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
                 loss_emb: Optional[dict] = None,
                 emb_dim: int = 128,
                 **kwargs) -> None:
        super().__init__(*args, loss_mask=loss_mask, **kwargs)
        if loss_reduction not in LOSS_REDUCTIONS:
            raise ValueError(f'loss_reduction must be one of {LOSS_REDUCTIONS}, got '
                             f'{loss_reduction!r}')
        self.loss_reduction = loss_reduction
        self.loss_mask_avg = MODELS.build(loss_mask_avg)
        self.loss_pairwise = MODELS.build(loss_pairwise) if loss_pairwise else None
        self.pairwise_ignore_bottom = pairwise_ignore_bottom
        self.loss_emb = MODELS.build(loss_emb) if loss_emb else None
        if self.loss_emb is not None:
            self.conv_emb = nn.Conv2d(self.feat_channels, emb_dim, 3, padding=1)
            # SOLOV2Head.forward keeps its category features local: collect what conv_cls sees
            self._category_feats: List[Tensor] = []
            self.conv_cls.register_forward_pre_hook(self._keep_category_features)

    def _keep_category_features(self, module: nn.Module, args: tuple) -> None:
        # a bound method, not a lambda: deep copies of the model (EMA) collect their own
        self._category_feats.append(args[0])

    def forward(self, x):
        """SOLOv2's (kernels, category logits, mask features), plus per level the
        (B, emb_dim, S, S) embeddings when the embedding loss is on."""
        if self.loss_emb is None:
            return super().forward(x)
        self._category_feats.clear()
        outs = super().forward(x)
        embeddings = [self.conv_emb(feat) for feat in self._category_feats]
        self._category_feats.clear()
        return outs + (embeddings, )

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

    def _get_targets_single(self, gt_instances: InstanceData, featmap_sizes=None):
        """SOLOv2's targets; with the embedding loss, also per level the index of the instance
        each positive cell is assigned to.

        SOLOv2 writes each instance's label into the grid cells it claims; relabelling instance
        i as ``num_classes + 1 + i`` makes that grid name the instance (a cell claimed twice
        keeps the later one, as SOLOv2's category target does).
        """
        if self.loss_emb is None:
            return super()._get_targets_single(gt_instances, featmap_sizes)
        relabelled = gt_instances.clone()
        first = self.num_classes + 1
        relabelled.labels = torch.arange(len(gt_instances), device=gt_instances.labels.device) \
            + first
        mask_targets, grids, pos_masks, pos_indexes = super()._get_targets_single(
            relabelled, featmap_sizes)
        # instance index per cell; unclaimed cells point past the end, at the background label
        label_of = torch.cat([gt_instances.labels, gt_instances.labels.new_tensor(
            [self.num_classes])])
        labels, pos_instances = [], []
        for grid, index in zip(grids, pos_indexes):
            instance = torch.where(grid >= first, grid - first, len(gt_instances))
            labels.append(label_of[instance])
            pos_instances.append(instance.flatten()[torch.as_tensor(index, dtype=torch.long,
                                                                    device=grid.device)])
        return mask_targets, labels, pos_masks, pos_indexes, pos_instances

    def loss_by_feat(self, mlvl_kernel_preds: List[Tensor], mlvl_cls_preds: List[Tensor],
                     mask_feats: Tensor, mlvl_emb_preds: Optional[List[Tensor]] = None, *,
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_color_similarity: Optional[List[Tensor]] = None,
                     **kwargs) -> dict:
        """
        Args:
            mlvl_kernel_preds: per level (B, C * k * k, S, S) dynamic kernels.
            mlvl_cls_preds: per level (B, 1, S, S) category logits.
            mask_feats: (B, C, H / 4, W / 4) unified mask features.
            mlvl_emb_preds: per level (B, emb_dim, S, S), with the embedding loss.
            batch_color_similarity: per image (K, H / 4, W / 4).
        """
        featmap_size = mask_feats.shape[-2:]
        assigned = multi_apply(self._get_targets_single, batch_gt_instances,
                               featmap_sizes=featmap_size)
        pos_mask_targets, labels, pos_masks, pos_indexes = assigned[:4]
        preds, targets, images, levels = self._positive_masks(mlvl_kernel_preds, mask_feats,
                                                              pos_indexes, pos_mask_targets)
        num_pos = 0 if preds is None else len(preds)
        losses = {}
        if self.loss_emb is not None:
            losses['loss_emb'] = self._embedding_loss(mlvl_emb_preds, pos_indexes, assigned[4],
                                                      batch_gt_instances)
        if num_pos == 0:
            zero = mask_feats.sum() * 0
            losses.update(loss_mask_max=zero, loss_mask_avg=zero)
            if self.loss_pairwise is not None:
                losses['loss_pairwise'] = zero + self.loss_pairwise(
                    mask_feats[:0, 0], mask_feats.new_zeros(0, 8, *featmap_size),
                    mask_feats[:0, 0])
        else:
            groups = levels if self.loss_reduction == 'level' else None
            losses['loss_mask_max'] = self.loss_mask(preds, targets, avg_factor=num_pos,
                                                     groups=groups)
            losses['loss_mask_avg'] = self.loss_mask_avg(preds, targets, avg_factor=num_pos,
                                                         groups=groups)
            if self.loss_pairwise is not None:
                region = box_masks(targets > 0.5) * self._counted_rows(batch_img_metas,
                                                                       images, featmap_size)
                losses['loss_pairwise'] = self.loss_pairwise(
                    preds, torch.stack(batch_color_similarity), region, image_index=images,
                    groups=groups)

        flat_labels = torch.cat([
            torch.cat([img_labels.flatten() for img_labels in lvl_labels])
            for lvl_labels in zip(*labels)
        ])
        flat_cls = torch.cat([
            lvl_cls.permute(0, 2, 3, 1).reshape(-1, self.num_classes)
            for lvl_cls in mlvl_cls_preds
        ])
        losses['loss_cls'] = self.loss_cls(flat_cls, flat_labels, avg_factor=num_pos + 1)
        return losses

    def _embedding_loss(self, mlvl_emb_preds: List[Tensor], pos_indexes, pos_instances,
                        batch_gt_instances: InstanceList) -> Tensor:
        """``1 - cos`` between each positive cell's embedding and its coarse mask's."""
        preds, targets = [], []
        for lvl, lvl_embs in enumerate(mlvl_emb_preds):
            for img, embs in enumerate(lvl_embs):
                index = pos_indexes[img][lvl]
                if len(index) == 0:
                    continue
                preds.append(embs.flatten(1)[:, index].t())              # (P, D)
                targets.append(batch_gt_instances[img].embs[pos_instances[img][lvl]])
        if not preds:
            return sum(e.sum() for e in mlvl_emb_preds) * 0
        preds, targets = torch.cat(preds), torch.cat(targets)
        return self.loss_emb(preds, targets, avg_factor=len(preds))

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
                        mask_feats: Tensor, mlvl_emb_preds: Optional[List[Tensor]] = None,
                        **kwargs) -> InstanceList:
        """SOLOv2's predictions, with boxes computed from their masks."""
        results = super().predict_by_feat(mlvl_kernel_preds, mlvl_cls_scores, mask_feats,
                                          **kwargs)
        for result in results:
            result.bboxes = boxes_from_masks(result.masks.bool())
        return results
