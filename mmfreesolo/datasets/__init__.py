"""Datasets, dataset files and transforms: generated scenes, COCO file checks, Free Mask
pseudo-labels and FreeSOLO's strong view."""
from .free_mask_label_dataset import FreeMaskLabelDataset
from .transforms import (LoadFreeMaskLabels, PackFreeSOLOInputs, RandomGaussianBlur,
                         TorchvisionOnImage)

__all__ = ['FreeMaskLabelDataset', 'LoadFreeMaskLabels', 'PackFreeSOLOInputs',
           'RandomGaussianBlur', 'TorchvisionOnImage']
