from .free_solo_copy_paste import FreeSOLOCopyPaste
from .image_only import ImageOnly
from .load_free_mask_labels import LoadFreeMaskLabels
from .pack_free_solo_inputs import PackFreeSOLOInputs
from .random_gaussian_blur import RandomGaussianBlur

__all__ = ['FreeSOLOCopyPaste', 'ImageOnly', 'LoadFreeMaskLabels', 'PackFreeSOLOInputs',
           'RandomGaussianBlur']
