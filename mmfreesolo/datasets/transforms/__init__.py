from .label_scores import LoadScoredAnnotations, PackScoredDetInputs
from .torchvision_on_image import TorchvisionOnImage

__all__ = ['LoadScoredAnnotations', 'PackScoredDetInputs', 'TorchvisionOnImage']
