from .mask_frame import frame_fractions
from .mask_geometry import mask_to_annotation
from .mask_pieces import largest_pieces

__all__ = ['mask_to_annotation', 'frame_fractions', 'largest_pieces']
