"""The pseudo-label dataset and FreeSOLO's strong-view transforms."""
from .free_mask_label_dataset import FreeMaskLabelDataset
from .transforms import RandomGaussianBlur, TorchvisionOnImage

__all__ = ['FreeMaskLabelDataset', 'RandomGaussianBlur', 'TorchvisionOnImage']
