"""FreeSOLO (CVPR 2022) for MMDetection 3.x: instance segmentation from unlabeled images.

Importing the package (``custom_imports=dict(imports=['mmfreesolo'])`` in a config) applies the
compatibility layer and registers every module into mmdet's registries.
"""
from . import compat

compat.apply()

from .datasets import (FreeMaskLabelDataset, LoadFreeMaskLabels,  # noqa: E402
                       PackFreeSOLOInputs, RandomGaussianBlur, TorchvisionOnImage)
from .engine import SelfTrainingHook, TrainingViewsHook  # noqa: E402
from .evaluation import ClassAgnosticCocoMetric  # noqa: E402
from .free_mask import FreeMask  # noqa: E402
from .models import (BackboneCheckpoint, EmbeddingCosineLoss,  # noqa: E402
                     FreeSOLODataPreprocessor, FreeSOLOHead, PairwiseAffinityLoss,
                     ProjectionDiceLoss, TorchvisionMobileNetV2)

__version__ = '0.1.0'
__all__ = [
    'BackboneCheckpoint', 'ClassAgnosticCocoMetric', 'EmbeddingCosineLoss', 'FreeMask',
    'FreeMaskLabelDataset', 'FreeSOLODataPreprocessor', 'FreeSOLOHead', 'LoadFreeMaskLabels',
    'PackFreeSOLOInputs', 'PairwiseAffinityLoss', 'ProjectionDiceLoss', 'RandomGaussianBlur',
    'SelfTrainingHook', 'TorchvisionMobileNetV2', 'TorchvisionOnImage', 'TrainingViewsHook',
    '__version__'
]
