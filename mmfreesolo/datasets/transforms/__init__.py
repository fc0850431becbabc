from .random_gaussian_blur import RandomGaussianBlur
from .torchvision_on_image import TorchvisionOnImage

__all__ = ['RandomGaussianBlur', 'TorchvisionOnImage']
