from .mask_geometry import mask_to_annotation
from .mask_pieces import largest_pieces

__all__ = ['mask_to_annotation', 'largest_pieces']
