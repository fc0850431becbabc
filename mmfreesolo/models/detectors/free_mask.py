"""Free Mask: coarse object masks from the dense features of a frozen, self-supervised backbone.

Every feature location, L2-normalised, is a key; the raw feature map resized by each query scale,
then L2-normalised, gives the queries. The cosine similarity of a query with all keys, min-max
normalised, is that query's soft mask; masks are scored by their maskness, de-duplicated with
Matrix NMS at feature resolution, and only the survivors are upsampled to the original image and
filtered. Every step is the authors' release by default (docs/method.md, "Free Mask"); the
departures are options, off in the COCO configs.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.detectors.base import BaseDetector
from mmdet.models.layers import mask_matrix_nms
from mmdet.registry import MODELS
from mmdet.structures import OptSampleList, SampleList
from mmdet.structures.mask import mask2bbox
from mmengine.structures import InstanceData
from scipy import ndimage
from torch import Tensor

from ...checkpoints import load_backbone_weights
from ...structures.mask_pieces import WITHIN_MASK_4_CONNECTED

# Upsampled masks are made this many elements at a time, so a huge image never needs all of its
# kept masks at full resolution at once.
_UPSAMPLE_ELEMENTS = 64 * 1024 * 1024
UPSAMPLINGS = ('stretch', 'cells')
FILTERS = ('release', 'tight')


def feature_stride(input_size: Tuple[int, int], feature_size: Tuple[int, int]) -> int:
    """Input pixels per feature cell of a backbone whose strides are powers of two, from an
    (H, W) input, padded or not, and its (h, w) feature map (h = ceil(H / stride))."""
    ratio = max(input_size[0] / feature_size[0], input_size[1] / feature_size[1])
    return 2**math.ceil(math.log2(ratio) - 1e-9)


@MODELS.register_module()
class FreeMask(BaseDetector):
    """Training-free class-agnostic mask generator (FreeSOLO's first stage).

    Args:
        backbone: any mmdet backbone config; it is kept in eval mode (frozen BN).
        backbone_checkpoint: DenseCL / MoCo / torchvision-style weights loaded strictly into the
            backbone by :meth:`init_weights` (a path, or ``package://<module>/<file>``).
        feature_index: which of the backbone's outputs is the feature map (keys and queries).
        query_scales: queries are the raw feature map resized by each of these factors
            (``interpolate(scale_factor=s)``: floor(h s) x floor(w s), sampled at 1 / s), then
            L2-normalised; a scale that leaves no row or column on a small map gives no queries.
        mask_thr: soft-mask threshold of the binary masks, at feature and at image resolution.
        min_cells: masks with fewer foreground feature cells are dropped.
        nms_kernel, nms_sigma: Matrix NMS decay ('gaussian' or 'linear').
        max_per_img: masks kept after Matrix NMS, before the filters.
        min_center_y: the mean index of the rows a mask occupies must exceed this fraction of
            the image height (drops sky and ceiling masks).
        max_width_ratio: the number of columns a mask occupies must stay below this fraction of
            the image width (drops the background).
        score_thr: minimum decayed maskness.
        emb_dim: length of the semantic embedding, the query vector interpolated along its
            channels (the release: 128); 0, the default, writes none: no loss here reads them,
            and at 128 they are a fifth of a label file.
        upsampling: 'stretch' (the release): the valid h x w soft grid resized straight to the
            image; 'cells': each cell mapped onto the input pixels it covers, the grid's overhang
            past the image cropped (exact when the image size is not a multiple of the stride).
        filters: 'release': the two shape rules above; 'tight': the pixel-weighted centre of
            mass must be >= min_center_y x H and the box's span < max_width_ratio x W (drops
            fragmented masks whose pieces span the image).
        pad_inputs: False (the release): the backbone sees each image alone, unpadded; a batch
            is split into groups of images of the same size, each cropped to that size. True:
            the padded batch goes through the backbone at once (one pass for images of mixed
            sizes; the features near an image's bottom and right edges then see the padding).
        split_components: False (the release): a query's mask is every cell above
            ``mask_thr``. True: each 4-connected component of it, at feature resolution, is a
            candidate of its own, before ``min_cells``, maskness and Matrix NMS. In images of
            many alike objects (nuclei, parts on a belt) one query lights up all of them; split,
            they become one mask each.
        nms_pre: only the candidates of the highest maskness, this many, go to Matrix NMS,
            whose cost grows with their square (None, the release: all; split components
            number thousands on a 32 x 32 map).
    """

    def __init__(self,
                 backbone: dict,
                 backbone_checkpoint: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 feature_index: int = -1,
                 query_scales: Sequence[float] = (1.0, 0.5, 0.25),
                 mask_thr: float = 0.5,
                 min_cells: int = 2,
                 nms_kernel: str = 'gaussian',
                 nms_sigma: float = 2.0,
                 max_per_img: int = 20,
                 min_center_y: float = 0.2,
                 max_width_ratio: float = 0.95,
                 score_thr: float = 0.7,
                 emb_dim: int = 0,
                 upsampling: str = 'stretch',
                 filters: str = 'release',
                 pad_inputs: bool = False,
                 split_components: bool = False,
                 nms_pre: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if upsampling not in UPSAMPLINGS:
            raise ValueError(f'upsampling must be one of {UPSAMPLINGS}, got {upsampling!r}')
        if filters not in FILTERS:
            raise ValueError(f'filters must be one of {FILTERS}, got {filters!r}')
        self.backbone = MODELS.build(backbone)
        self.backbone_checkpoint = backbone_checkpoint
        self.feature_index = feature_index
        self.query_scales = tuple(query_scales)
        self.mask_thr = mask_thr
        self.min_cells = min_cells
        self.nms_kernel = nms_kernel
        self.nms_sigma = nms_sigma
        self.max_per_img = max_per_img
        self.min_center_y = min_center_y
        self.max_width_ratio = max_width_ratio
        self.score_thr = score_thr
        self.emb_dim = emb_dim
        self.upsampling = upsampling
        self.filters = filters
        self.pad_inputs = pad_inputs
        self.split_components = split_components
        self.nms_pre = nms_pre
        self.requires_grad_(False)

    def init_weights(self) -> None:
        """Load ``backbone_checkpoint`` (every weight, strictly), else the backbone's init_cfg."""
        if self.backbone_checkpoint:
            load_backbone_weights(self.backbone, self.backbone_checkpoint)
        else:
            super().init_weights()

    def train(self, mode: bool = True) -> 'FreeMask':
        """Always in eval mode: batch norm uses its frozen statistics."""
        return super().train(False)

    def extract_feat(self, batch_inputs: Tensor) -> Tensor:
        """(B, 3, H, W) padded images -> (B, C, H / s, W / s) feature map of stride s."""
        return self.backbone(batch_inputs)[self.feature_index]

    def _forward(self, batch_inputs: Tensor, batch_data_samples: OptSampleList = None):
        return self.extract_feat(batch_inputs)

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        raise NotImplementedError('Free Mask is training-free: use tools/free_mask.py or test')

    @torch.no_grad()
    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Masks of every image of the batch, at original resolution.

        Each sample's ``pred_instances`` gets ``masks`` (N, H, W) bool, ``scores`` (N, ) decayed
        maskness, ``bboxes`` (N, 4) XYXY from the masks, ``labels`` (N, ) zeros and, when
        ``emb_dim`` > 0, ``embeddings`` (N, emb_dim).

        Under autocast (``--amp``) only the backbone runs in low precision: similarities,
        min-max normalisation and NMS compare close values and run in fp32, as in the release.
        """
        if self.pad_inputs:
            groups = [(batch_inputs, batch_data_samples)]
        else:
            groups = self.unpadded_groups(batch_inputs, batch_data_samples)
        for inputs, samples in groups:
            features = self.extract_feat(inputs)
            with torch.autocast(features.device.type, enabled=False):
                self.predict_from_features(features.float(), inputs.shape[-2:], samples, rescale)
        return batch_data_samples

    @staticmethod
    def unpadded_groups(batch_inputs: Tensor,
                        batch_data_samples: SampleList) -> List[Tuple[Tensor, SampleList]]:
        """Split a padded (B, 3, H, W) batch into groups of images of one ``img_shape`` (h, w):
        each group's (b, 3, h, w) inputs, cropped to that shape, and its samples."""
        shapes: Dict[Tuple[int, int], List[int]] = {}
        for i, sample in enumerate(batch_data_samples):
            shapes.setdefault(tuple(sample.img_shape[:2]), []).append(i)
        return [(batch_inputs[indices, :, :h, :w], [batch_data_samples[i] for i in indices])
                for (h, w), indices in shapes.items()]

    def predict_from_features(self, features: Tensor, input_size: Tuple[int, int],
                              batch_data_samples: SampleList,
                              rescale: bool = True) -> SampleList:
        """Everything after the backbone: (B, C, h, w) features of (H, W) inputs, padded or
        not -> ``pred_instances`` of each sample (see :meth:`predict`)."""
        stride = feature_stride(input_size, features.shape[-2:])
        for feature, sample in zip(features, batch_data_samples):
            img_h, img_w = sample.img_shape[:2]
            # padded cells (beyond the image) are never keys nor queries
            valid_h = min(features.shape[-2], math.ceil(img_h / stride))
            valid_w = min(features.shape[-1], math.ceil(img_w / stride))
            coarse = self.feature_masks(feature[:, :valid_h, :valid_w])
            out_shape = sample.ori_shape if rescale else sample.img_shape
            # output pixels per network-input pixel, for the cell-extent upsampling
            scale = (out_shape[0] / img_h, out_shape[1] / img_w)
            sample.pred_instances = self.image_masks(*coarse, stride, scale, out_shape)
        return batch_data_samples

    def queries(self, feature: Tensor) -> Tensor:
        """(C, h, w) raw feature map -> (Q, C) L2-normalised queries of all scales.

        The raw map is resized, not the keys: bilinear averaging of raw vectors weighs each
        cell by its norm, as the release does; averaging unit vectors would weigh all alike.
        """
        c, h, w = feature.shape
        queries = [
            F.interpolate(feature[None], scale_factor=s, mode='bilinear',
                          align_corners=False)[0].flatten(1).t()
            for s in self.query_scales if math.floor(h * s) >= 1 and math.floor(w * s) >= 1
        ]
        if not queries:
            return feature.new_zeros((0, c))
        return F.normalize(torch.cat(queries), dim=1)

    def feature_masks(self, feature: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Soft masks at feature resolution, after Matrix NMS.

        Args:
            feature: (C, h, w) the image's valid feature cells.

        Returns:
            soft: (K, h, w) the kept soft masks in [0, 1], best first (K <= max_per_img).
            scores: (K, ) their decayed maskness.
            queries: (K, C) their query vectors.
        """
        c, h, w = feature.shape
        keys = F.normalize(feature, dim=0)                                # (C, h, w)
        queries = self.queries(feature)                                   # (Q, C)
        similarity = queries @ keys.flatten(1)                            # (Q, hw)
        low = similarity.min(dim=1, keepdim=True).values
        high = similarity.max(dim=1, keepdim=True).values
        soft = (similarity - low) / (high - low).clamp_min(1e-6)
        binary = soft >= self.mask_thr
        if self.split_components:
            soft, binary, queries = self.components(soft, binary, queries, (h, w))
        soft, scores, queries = self.matrix_nms(soft, binary, queries, (h, w))
        return soft.view(-1, h, w), scores, queries

    def matrix_nms(self, soft: Tensor, binary: Tensor, queries: Tensor,
                   size: Tuple[int, int]) -> Tuple[Tensor, Tensor, Tensor]:
        """Score (Q, hw) soft masks by maskness over their ``binary`` (Q, hw) cells, drop those
        of fewer than ``min_cells`` cells, decay the best ``nms_pre`` of the rest with Matrix NMS;
        the kept (K, hw) soft masks best first, their (K, ) scores and (K, C) queries
        (K <= ``max_per_img``)."""
        cells = binary.sum(dim=1)
        keep = cells >= self.min_cells
        if self.nms_pre and int(keep.sum()) > self.nms_pre:
            maskness = (soft * binary).sum(dim=1) / cells.clamp_min(1)
            best = maskness.masked_fill(~keep, -1).topk(self.nms_pre).indices
            keep = torch.zeros_like(keep)
            keep[best] = True
        soft, binary, cells, queries = soft[keep], binary[keep], cells[keep], queries[keep]
        maskness = (soft * binary).sum(dim=1) / cells.clamp_min(1)
        if len(soft) == 0:
            return soft, maskness, queries
        scores, _, _, kept = mask_matrix_nms(
            binary.view(-1, *size), torch.zeros_like(cells), maskness,
            max_num=self.max_per_img, kernel=self.nms_kernel, sigma=self.nms_sigma,
            mask_area=cells.float())
        return soft[kept], scores, queries[kept]

    @staticmethod
    def components(soft: Tensor, binary: Tensor, queries: Tensor,
                   size: Tuple[int, int]) -> Tuple[Tensor, Tensor, Tensor]:
        """Each 4-connected component of each binary mask as a mask of its own.

        Args:
            soft, binary: (Q, hw) soft masks and their binarisation over an (h, w) grid.
            queries: (Q, C) their query vectors.
            size: (h, w).

        Returns:
            (N, hw) soft masks zeroed outside their component, (N, hw) the components and
            (N, C) the query each came from, N the number of components of all masks.
        """
        q = len(binary)
        labels, num = ndimage.label(
            binary.view(q, *size).cpu().numpy(), structure=WITHIN_MASK_4_CONNECTED)
        labels = torch.from_numpy(labels).to(binary.device).view(q, binary.shape[1])  # 0: none
        owner, cell = torch.nonzero(labels, as_tuple=True)
        component = labels[owner, cell] - 1
        parts = binary.new_zeros((num, labels.shape[1]))
        parts[component, cell] = True
        source = owner.new_zeros(num)
        source[component] = owner
        return soft[source] * parts, parts, queries[source]

    def upsample(self, soft: Tensor, stride: float, scale: Tuple[float, float],
                 out_shape: Tuple[int, int]) -> Tensor:
        """(K, h, w) soft masks over the valid feature cells -> (K, H, W) bool at ``out_shape``.

        ``stride``: input pixels per feature cell; ``scale``: (sy, sx) output pixels per
        network-input pixel (both used by the 'cells' upsampling only).
        """
        out_h, out_w = out_shape
        if self.upsampling == 'stretch':
            grid = (out_h, out_w)
        else:  # cell (i, j) covers input pixels [i*stride, (i+1)*stride)
            grid = (max(out_h, round(soft.shape[1] * stride * scale[0])),
                    max(out_w, round(soft.shape[2] * stride * scale[1])))
        step = max(1, _UPSAMPLE_ELEMENTS // (grid[0] * grid[1]))
        chunks = [
            F.interpolate(soft[i:i + step, None], size=grid, mode='bilinear',
                          align_corners=False)[:, 0, :out_h, :out_w] >= self.mask_thr
            for i in range(0, len(soft), step)
        ] or [soft.new_zeros((0, out_h, out_w), dtype=torch.bool)]
        return chunks[0] if len(chunks) == 1 else torch.cat(chunks)

    def shape_filter(self, masks: Tensor) -> Tuple[Tensor, Tensor]:
        """Which (K, H, W) bool masks pass the shape rules, and their (K, 4) XYXY boxes.

        An empty mask never passes.
        """
        out_h, out_w = masks.shape[-2:]
        rows = masks.any(dim=2)                                            # (K, H)
        cols = masks.any(dim=1)                                            # (K, W)
        boxes = mask2bbox(masks)
        ys = torch.arange(out_h, dtype=torch.float32, device=masks.device)
        if self.filters == 'release':
            occupied = rows.sum(dim=1)
            mean_row = (rows.float() @ ys) / occupied.clamp_min(1)
            keep = ((occupied > 0) & (mean_row > self.min_center_y * out_h)
                    & (cols.sum(dim=1) < self.max_width_ratio * out_w))
        else:
            row_count = masks.sum(dim=2)
            area = row_count.sum(dim=1)
            center_y = (row_count.float() @ ys) / area.clamp_min(1)
            keep = ((area > 0) & (center_y >= self.min_center_y * out_h)
                    & ((boxes[:, 2] - boxes[:, 0]) < self.max_width_ratio * out_w))
        return keep, boxes

    def image_masks(self, soft: Tensor, scores: Tensor, queries: Tensor, stride: float,
                    scale: Tuple[float, float], out_shape: Tuple[int, int]) -> InstanceData:
        """Upsample kept soft masks to ``out_shape``, binarise and filter them (see
        :meth:`upsample` for the arguments)."""
        masks = self.upsample(soft, stride, scale, out_shape)
        keep, boxes = self.shape_filter(masks)
        keep &= scores >= self.score_thr
        results = InstanceData()
        results.masks = masks[keep]
        results.scores = scores[keep]
        results.bboxes = boxes[keep]
        results.labels = torch.zeros(int(keep.sum()), dtype=torch.long, device=masks.device)
        if self.emb_dim > 0:
            results.embeddings = self.embed(queries[keep])
        return results

    def embed(self, queries: Tensor) -> Tensor:
        """(K, C) query vectors -> (K, emb_dim) embeddings, interpolated along the channels."""
        if len(queries) == 0:
            return queries.new_zeros((0, self.emb_dim))
        resized = F.interpolate(queries[:, None], size=self.emb_dim, mode='linear',
                                align_corners=False)[:, 0]
        return F.normalize(resized, dim=1)
