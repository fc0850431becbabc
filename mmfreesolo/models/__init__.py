from .backbones import BackboneCheckpoint, TorchvisionMobileNetV2
from .data_preprocessors import FreeSOLODataPreprocessor
from .dense_heads import FreeSOLOHead
from .detectors import FreeMask
from .losses import PairwiseAffinityLoss, ProjectionDiceLoss

__all__ = ['BackboneCheckpoint', 'TorchvisionMobileNetV2', 'FreeSOLODataPreprocessor',
           'FreeSOLOHead', 'FreeMask', 'PairwiseAffinityLoss', 'ProjectionDiceLoss']
