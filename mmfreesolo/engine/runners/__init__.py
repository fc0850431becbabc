from .stage_log_runner import StageLogRunner

__all__ = ['StageLogRunner']
