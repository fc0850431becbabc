from .hooks import (MaskCollapseError, MaskCollapseHook, SelfTrainingHook, TorchRandomStateHook,
                    TrainingProgressHook, TrainingViewsHook)
from .runners import StageLogRunner

__all__ = ['MaskCollapseError', 'MaskCollapseHook', 'SelfTrainingHook', 'StageLogRunner',
           'TorchRandomStateHook', 'TrainingProgressHook', 'TrainingViewsHook']
