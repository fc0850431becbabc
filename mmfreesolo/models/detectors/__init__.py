from .free_mask import FreeMask

__all__ = ['FreeMask']
