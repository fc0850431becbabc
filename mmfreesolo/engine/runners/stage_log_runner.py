"""A Runner for pipelines that run several Runners in one terminal (the demo): the console shows
warnings only, the log file in the work dir keeps everything."""
from __future__ import annotations

import logging
from typing import Optional, Union

from mmdet.registry import RUNNERS
from mmengine.logging import MMLogger
from mmengine.runner import Runner


@RUNNERS.register_module()
class StageLogRunner(Runner):
    """mmengine's Runner whose console handler passes warnings and errors only: the environment,
    the full config, the hook table and the iteration lines go to ``<log_dir>/<timestamp>.log``.
    Select it with ``runner_type = 'StageLogRunner'``; pair it with ``TrainingProgressHook`` for
    a progress bar on the console."""

    def build_logger(self, log_level: Union[int, str] = 'INFO',
                     log_file: Optional[str] = None, **kwargs) -> MMLogger:
        logger = super().build_logger(log_level, log_file, **kwargs)
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:  # not its FileHandler subclass
                handler.setLevel(max(handler.level, logging.WARNING))
        return logger
