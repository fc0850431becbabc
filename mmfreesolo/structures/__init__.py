from .mask_geometry import mask_to_annotation

__all__ = ['mask_to_annotation']
