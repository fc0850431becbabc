"""The pseudo-label dataset, its labels' scores through the pipeline, and torchvision's
augmentations on an image alone."""
from .free_mask_label_dataset import FreeMaskLabelDataset
from .transforms import LoadScoredAnnotations, PackScoredDetInputs, TorchvisionOnImage

__all__ = ['FreeMaskLabelDataset', 'LoadScoredAnnotations', 'PackScoredDetInputs',
           'TorchvisionOnImage']
