from .self_training_hook import SelfTrainingHook
from .training_views_hook import TrainingViewsHook

__all__ = ['SelfTrainingHook', 'TrainingViewsHook']
