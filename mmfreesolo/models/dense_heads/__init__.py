from .freesolo_head import FreeSOLOHead, boxes_from_masks, box_masks

__all__ = ['FreeSOLOHead', 'boxes_from_masks', 'box_masks']
