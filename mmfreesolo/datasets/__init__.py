"""Datasets, dataset files and transforms: generated scenes, COCO file checks, Free Mask
pseudo-labels with copy-paste and strong augmentations."""
from .free_mask_label_dataset import FreeMaskLabelDataset
from .transforms import (FreeSOLOCopyPaste, ImageOnly, LoadFreeMaskLabels, PackFreeSOLOInputs,
                         RandomGaussianBlur)

__all__ = ['FreeMaskLabelDataset', 'FreeSOLOCopyPaste', 'ImageOnly', 'LoadFreeMaskLabels',
           'PackFreeSOLOInputs', 'RandomGaussianBlur']
