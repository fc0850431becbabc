from .mask_collapse_hook import MaskCollapseError, MaskCollapseHook
from .self_training_hook import SelfTrainingHook
from .torch_random_state_hook import TorchRandomStateHook
from .training_progress_hook import TrainingProgressHook
from .training_views_hook import TrainingViewsHook

__all__ = ['MaskCollapseError', 'MaskCollapseHook', 'SelfTrainingHook', 'TorchRandomStateHook',
           'TrainingProgressHook', 'TrainingViewsHook']
