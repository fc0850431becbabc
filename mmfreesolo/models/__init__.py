from .backbones import TorchvisionMobileNetV2
from .losses import PairwiseAffinityLoss, ProjectionDiceLoss

__all__ = ['TorchvisionMobileNetV2', 'PairwiseAffinityLoss', 'ProjectionDiceLoss']
