from .self_training_hook import SelfTrainingHook
from .training_progress_hook import TrainingProgressHook
from .training_views_hook import TrainingViewsHook

__all__ = ['SelfTrainingHook', 'TrainingProgressHook', 'TrainingViewsHook']
