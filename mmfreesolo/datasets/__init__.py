"""The pseudo-label dataset, and torchvision's augmentations on an image alone."""
from .free_mask_label_dataset import FreeMaskLabelDataset
from .transforms import TorchvisionOnImage

__all__ = ['FreeMaskLabelDataset', 'TorchvisionOnImage']
