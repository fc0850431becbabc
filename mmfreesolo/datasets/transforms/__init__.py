from .torchvision_on_image import TorchvisionOnImage

__all__ = ['TorchvisionOnImage']
