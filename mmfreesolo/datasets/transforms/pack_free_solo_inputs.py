"""Packing that also carries the pseudo-labels' scores and embeddings."""
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackFreeSOLOInputs(PackDetInputs):
    """PackDetInputs; ``gt_scores`` and ``gt_embs`` become ``gt_instances.scores`` (N, ) and
    ``gt_instances.embs`` (N, D)."""

    mapping_table = {
        **PackDetInputs.mapping_table,
        'gt_scores': 'scores',
        'gt_embs': 'embs',
    }
