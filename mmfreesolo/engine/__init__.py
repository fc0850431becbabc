from .hooks import SelfTrainingHook, TrainingProgressHook, TrainingViewsHook
from .runners import StageLogRunner

__all__ = ['SelfTrainingHook', 'StageLogRunner', 'TrainingProgressHook', 'TrainingViewsHook']
