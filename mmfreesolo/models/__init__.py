from .backbones import TorchvisionMobileNetV2
from .data_preprocessors import FreeSOLODataPreprocessor
from .dense_heads import FreeSOLOHead
from .losses import PairwiseAffinityLoss, ProjectionDiceLoss

__all__ = ['TorchvisionMobileNetV2', 'FreeSOLODataPreprocessor', 'FreeSOLOHead',
           'PairwiseAffinityLoss', 'ProjectionDiceLoss']
