"""mmdet's DetDataPreprocessor plus the colour similarity the pairwise loss needs."""
from __future__ import annotations

from typing import Optional

import torch.nn.functional as F
from mmdet.models.data_preprocessors import DetDataPreprocessor
from mmdet.registry import MODELS

from .color_similarity import color_similarity
from .strong_view import StrongView
from .strong_view_copy_paste import StrongViewCopyPaste


@MODELS.register_module()
class FreeSOLODataPreprocessor(DetDataPreprocessor):
    """Normalises and pads like DetDataPreprocessor; when training, also stores on each data
    sample ``color_similarity`` (K, H / mask_stride, W / mask_stride) of the padded image.

    The coarse masks are left as they are (BoxInst's preprocessor would replace them by boxes).

    FreeSOLO's two views of each image (:meth:`training_views`): with ``strong_view`` (e.g. the
    release's augmentations, :class:`StrongView`), each image of a training batch becomes its
    weak view, as the pipeline made it, and a strong view made from it on the device; then
    ``copy_paste`` (e.g. ``dict(max_cover=0.5)``, :class:`StrongViewCopyPaste`) pastes instances
    of other images' weak views into the strong views, as the release does. Both views are
    trained on as one batch, every weak view then every strong view. Batches whose views a
    pipeline made (mmdet's ``MultiBranch``) are pasted into and joined the same way.
    """

    def __init__(self, *args, mask_stride: int = 4, pairwise_size: int = 3,
                 pairwise_dilation: int = 2, strong_view: Optional[dict] = None,
                 copy_paste: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mask_stride = mask_stride
        self.pairwise_size = pairwise_size
        self.pairwise_dilation = pairwise_dilation
        self.strong_view = StrongView(**strong_view) if strong_view is not None else None
        self.copy_paste = StrongViewCopyPaste(**copy_paste) if copy_paste is not None else None

    def training_views(self, data: dict) -> dict:
        """A training batch's views before normalisation: ``{'inputs': {branch: [(3, H, W)
        uint8]}, 'data_samples': {branch: [...]}}`` when there are two, else ``data``."""
        if self.strong_view is not None and not isinstance(data['inputs'], dict):
            data = self.strong_view(self.cast_data(data))
        if self.copy_paste is not None and isinstance(data['inputs'], dict):
            data = self.copy_paste(data)
        return data

    def forward(self, data: dict, training: bool = False) -> dict:
        if training:
            data = self.training_views(data)
        if isinstance(data['inputs'], dict):
            data = self.join_branches(data)
        data = super().forward(data, training)
        if training:
            # undo the normalisation (the padding becomes the mean colour, as in the input)
            # after the average pooling that the similarity starts with: both are linear, and
            # the pooled image is mask_stride**2 times smaller
            pooled = F.avg_pool2d(data['inputs'], self.mask_stride, self.mask_stride)
            rgb = pooled * self.std + self.mean
            if not self._channel_conversion:
                rgb = rgb.flip(1)
            similarity = color_similarity(rgb, 1, self.pairwise_size, self.pairwise_dilation)
            for sample, sim in zip(data['data_samples'], similarity):
                sample.set_field(sim, 'color_similarity')
        return data

    @staticmethod
    def join_branches(data: dict) -> dict:
        """``{'inputs': {branch: [img, ...]}, 'data_samples': {branch: [...]}}`` -> one batch
        of every branch's images (branches in their order, images in batch order)."""
        branches = list(data['inputs'])
        return dict(inputs=[img for b in branches for img in data['inputs'][b]],
                    data_samples=[s for b in branches for s in data['data_samples'][b]])
