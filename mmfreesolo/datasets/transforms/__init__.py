from .load_free_mask_labels import LoadFreeMaskLabels
from .pack_free_solo_inputs import PackFreeSOLOInputs
from .random_gaussian_blur import RandomGaussianBlur
from .torchvision_on_image import TorchvisionOnImage

__all__ = ['LoadFreeMaskLabels', 'PackFreeSOLOInputs', 'RandomGaussianBlur',
           'TorchvisionOnImage']
