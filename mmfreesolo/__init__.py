"""FreeSOLO (CVPR 2022) for MMDetection 3.x: instance segmentation from unlabeled images.

Importing the package (``custom_imports=dict(imports=['mmfreesolo'])`` in a config) applies the
compatibility layer and registers every module into mmdet's registries.
"""
from . import adaptations

adaptations.apply()

from .datasets import (FreeMaskLabelDataset, LoadScoredAnnotations,  # noqa: E402
                       PackScoredDetInputs, TorchvisionOnImage)
from .engine import (MaskCollapseError, MaskCollapseHook, SelfTrainingHook,  # noqa: E402
                     StageLogRunner, TorchRandomStateHook, TrainingProgressHook, TrainingViewsHook)
from .evaluation import ClassAgnosticCocoMetric  # noqa: E402
from .models import (BackboneCheckpoint, FreeMask, FreeSOLODataPreprocessor,  # noqa: E402
                     FreeSOLOHead, PairwiseAffinityLoss, ProjectionDiceLoss, TorchvisionMobileNetV2)

__version__ = '0.1.0'
__all__ = [
    'BackboneCheckpoint', 'ClassAgnosticCocoMetric', 'FreeMask', 'FreeMaskLabelDataset',
    'FreeSOLODataPreprocessor', 'FreeSOLOHead', 'LoadScoredAnnotations', 'MaskCollapseError',
    'MaskCollapseHook', 'PackScoredDetInputs', 'PairwiseAffinityLoss', 'ProjectionDiceLoss',
    'SelfTrainingHook', 'StageLogRunner', 'TorchRandomStateHook', 'TorchvisionMobileNetV2',
    'TorchvisionOnImage', 'TrainingProgressHook', 'TrainingViewsHook', '__version__'
]
