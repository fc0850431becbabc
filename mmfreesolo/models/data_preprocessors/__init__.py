from .color_similarity import color_similarity, rgb_to_lab
from .freesolo_data_preprocessor import FreeSOLODataPreprocessor
from .strong_view import StrongView
from .strong_view_copy_paste import StrongViewCopyPaste

__all__ = ['color_similarity', 'rgb_to_lab', 'FreeSOLODataPreprocessor', 'StrongView',
           'StrongViewCopyPaste']
