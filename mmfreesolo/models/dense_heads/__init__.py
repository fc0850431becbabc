from .freesolo_head import FreeSOLOHead, box_masks

__all__ = ['FreeSOLOHead', 'box_masks']
