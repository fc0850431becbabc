from .color_similarity import color_similarity, rgb_to_lab

__all__ = ['color_similarity', 'rgb_to_lab']
