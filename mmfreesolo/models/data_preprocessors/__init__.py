from .color_similarity import color_similarity, rgb_to_lab
from .freesolo_data_preprocessor import FreeSOLODataPreprocessor

__all__ = ['color_similarity', 'rgb_to_lab', 'FreeSOLODataPreprocessor']
