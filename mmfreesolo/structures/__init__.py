from .mask_geometry import boxes_from_masks, mask_to_annotation

__all__ = ['boxes_from_masks', 'mask_to_annotation']
