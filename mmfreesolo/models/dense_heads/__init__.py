from .freesolo_head import FreeSOLOHead, box_coverage, box_masks

__all__ = ['FreeSOLOHead', 'box_coverage', 'box_masks']
