from .hooks import SelfTrainingHook, TorchRandomStateHook, TrainingProgressHook, TrainingViewsHook
from .runners import StageLogRunner

__all__ = ['SelfTrainingHook', 'StageLogRunner', 'TorchRandomStateHook', 'TrainingProgressHook',
           'TrainingViewsHook']
