from .hooks import SelfTrainingHook, TrainingViewsHook

__all__ = ['SelfTrainingHook', 'TrainingViewsHook']
