from .backbones import BackboneCheckpoint, TorchvisionMobileNetV2
from .data_preprocessors import FreeSOLODataPreprocessor
from .dense_heads import FreeSOLOHead
from .losses import EmbeddingCosineLoss, PairwiseAffinityLoss, ProjectionDiceLoss

__all__ = ['BackboneCheckpoint', 'TorchvisionMobileNetV2', 'FreeSOLODataPreprocessor',
           'FreeSOLOHead', 'EmbeddingCosineLoss', 'PairwiseAffinityLoss', 'ProjectionDiceLoss']
