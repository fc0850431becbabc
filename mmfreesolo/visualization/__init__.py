from .overlay import draw_instances

__all__ = ['draw_instances']
