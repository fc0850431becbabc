"""FreeSOLO's copy-paste as the release does it, on a batch: each image's strong view receives a
random subset of the pseudo-labels of another image's weak view, and the weak views are left
untouched."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import BaseBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData
from torch import Tensor


def _any(masks: Tensor, dim: int) -> Tensor:
    # torch's bool any() on the CPU is several times slower than a max over the same bytes
    return masks.view(torch.uint8).amax(dim=dim).bool()


def _count(masks: Tensor) -> Tensor:
    """(N, ...) bool -> (N, ) int64 count of true values (numpy's on the CPU: 10x torch's)."""
    if masks.device.type == 'cpu':
        return torch.from_numpy(np.count_nonzero(masks.reshape(len(masks), -1).numpy(), axis=1))
    return masks.flatten(1).sum(dim=1)


def pasted_to_keep(pasted: Tensor, existing: Tensor, max_cover: float) -> Tensor:
    """Which pasted masks cover less than ``max_cover`` of every existing mask.

    Intersections are counted only between masks whose boxes meet, and only inside the pasted
    mask's box: at COCO sizes (about 1M pixels, 20 masks a side) a full (D, H*W) intersection
    per pasted mask cost more than the rest of the pipeline.

    Args:
        pasted: (P, H, W) bool masks to paste.
        existing: (D, H, W) bool masks of the destination image.

    Returns:
        (P, ) bool.
    """
    keep = torch.ones(len(pasted), dtype=torch.bool, device=pasted.device)
    if len(existing) == 0 or len(pasted) == 0:
        return keep
    limit = max_cover * _count(existing).clamp(min=1).to(pasted.device)
    rows, cols = _any(pasted, 2), _any(pasted, 1)  # (P, H), (P, W)
    existing_rows, existing_cols = _any(existing, 2), _any(existing, 1)
    # boxes meet when they share a row and a column: (P, D)
    meet = ((rows[:, None] & existing_rows[None]).any(dim=2)
            & (cols[:, None] & existing_cols[None]).any(dim=2))
    for p in range(len(pasted)):
        overlap = torch.zeros_like(limit)
        candidates = meet[p].nonzero()[:, 0]
        if len(candidates):
            ys, xs = rows[p].nonzero()[:, 0], cols[p].nonzero()[:, 0]
            y0, y1, x0, x1 = int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1
            overlap[candidates] = _count(existing[candidates, y0:y1, x0:x1]
                                         & pasted[p, y0:y1, x0:x1]).to(overlap)
        keep[p] = bool((overlap < limit).all())
    return keep


class StrongViewCopyPaste:
    """Paste instances of another image's weak view onto each strong view of a batch.

    For strong view i: the weak view j of another image of the batch (uniformly), a random
    number (0 to all, at most ``max_num_pasted``) of its instances, resized with the image to
    view i's size; a pasted instance is kept only if it covers less than ``max_cover`` of every
    instance of view i; the kept ones occlude view i's masks (a mask left empty is dropped) and
    every box is recomputed from its mask. Any other per-instance tensor (labels, scores)
    travels with its mask.

    Args:
        max_cover: a pasted mask covering this fraction of an existing one or more is dropped.
        max_num_pasted: at most this many instances are pasted into one view.
        prob: probability of pasting into a view at all.
        source, target: the branch names of ``MultiBranch``'s views.
    """

    def __init__(self, max_cover: float = 0.5, max_num_pasted: int = 100, prob: float = 1.0,
                 source: str = 'weak', target: str = 'strong') -> None:
        self.max_cover = max_cover
        self.max_num_pasted = max_num_pasted
        self.prob = prob
        self.source = source
        self.target = target

    def __call__(self, data: dict) -> dict:
        """``{'inputs': {branch: [(3, H, W) uint8]}, 'data_samples': {branch: [...]}}``: the
        target branch's images and ``gt_instances`` are replaced, in place."""
        images, samples = data['inputs'], data['data_samples']
        num = len(images[self.target])
        if num < 2:
            return data
        for i in range(num):  # a couple of images per device and step
            if float(torch.rand(())) >= self.prob:
                continue
            j = (i + int(torch.randint(1, num, ()))) % num
            images[self.target][i] = self.paste(images[self.target][i],
                                                samples[self.target][i],
                                                images[self.source][j], samples[self.source][j])
        return data

    def paste(self, image: Tensor, sample: DetDataSample, src_image: Tensor,
              src_sample: DetDataSample) -> Tensor:
        """Paste into (3, H, W) ``image`` from (3, h, w) ``src_image``; ``sample`` gets the
        resulting ``gt_instances``. Returns the pasted image."""
        src = src_sample.gt_instances
        count = int(torch.randint(0, min(len(src), self.max_num_pasted) + 1, ()))
        if count == 0:
            return image
        chosen = torch.randperm(len(src))[:count].sort().values
        height, width = image.shape[-2:]
        src_masks = torch.as_tensor(src.masks.masks[chosen.numpy()], device=image.device)
        if src_image.shape[-2:] != (height, width):
            src_image = F.interpolate(src_image[None].float(), size=(height, width),
                                      mode='bilinear', align_corners=False)[0]
            src_image = src_image.round().clamp(0, 255).to(image.dtype)
            src_masks = F.interpolate(src_masks[None].to(torch.uint8), size=(height, width),
                                      mode='nearest')[0]
        src_masks = src_masks.bool()
        dst = sample.gt_instances
        dst_masks = torch.as_tensor(dst.masks.masks, device=image.device).bool()
        keep = pasted_to_keep(src_masks, dst_masks, self.max_cover)
        if not keep.any():
            return image
        src_masks, chosen = src_masks[keep], chosen[keep]
        pasted = _any(src_masks, 0)
        dst_masks = dst_masks & ~pasted
        visible = _any(dst_masks.flatten(1), 1)
        sample.gt_instances = self._joined(dst, visible, src, chosen,
                                           torch.cat([dst_masks[visible], src_masks]))
        return torch.where(pasted, src_image.to(image.device), image)

    @staticmethod
    def _joined(dst: InstanceData, visible: Tensor, src: InstanceData, chosen: Tensor,
                masks: Tensor) -> InstanceData:
        """The instances of ``dst`` still visible, then the pasted ones of ``src``."""
        bitmap = BitmapMasks(masks.cpu().numpy().astype('uint8'), *masks.shape[-2:])
        joined = InstanceData(metainfo=dst.metainfo)
        for key in dst.keys():
            if key == 'masks':
                joined.masks = bitmap
            elif key == 'bboxes':
                boxes = bitmap.get_bboxes('hbox')
                joined.bboxes = boxes if isinstance(dst.bboxes, BaseBoxes) else boxes.tensor
            else:  # labels and any other per-instance tensor
                if key not in src:
                    raise KeyError(f'gt_instances.{key} is in the strong view but not in the '
                                   'weak view pasted into it')
                kept = dst[key][visible.to(dst[key].device)]
                joined[key] = torch.cat([kept, src[key][chosen.to(src[key].device)].to(kept)])
        return joined
