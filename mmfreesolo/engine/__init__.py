from .hooks import SelfTrainingHook

__all__ = ['SelfTrainingHook']
