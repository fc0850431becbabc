"""A Runner for pipelines that run several Runners in one terminal (the demo): the console shows
warnings only, the log file in the work dir keeps everything."""
from __future__ import annotations

import contextlib
import io
import logging
from typing import Optional, Union

from mmdet.registry import RUNNERS
from mmengine.logging import MMLogger
from mmengine.runner import Runner

# mmengine's notices about its own API (FileClient and its backends), which mmdet's code triggers
_LIBRARY_NOTICES = ('will be deprecated in future', 'is the alias of')


def quiet_mmengine_console() -> None:
    """Every mmengine logger made so far (the default one takes config loading's INFO lines)
    shows warnings and errors only on the console."""
    for logger in MMLogger._instance_dict.values():
        _quiet_console_handlers(logger)
    MMLogger.get_current_instance()  # makes the default logger when none is there yet
    for logger in MMLogger._instance_dict.values():
        _quiet_console_handlers(logger)


def _quiet_console_handlers(logger: logging.Logger) -> None:
    for handler in logger.handlers:
        if type(handler) is logging.StreamHandler:  # not its FileHandler subclass
            handler.setLevel(max(handler.level, logging.WARNING))
            if not any(isinstance(f, _LibraryNoticeFilter) for f in handler.filters):
                handler.addFilter(_LibraryNoticeFilter())


class _LibraryNoticeFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not any(notice in record.getMessage() for notice in _LIBRARY_NOTICES)


class _LinesToLog(io.TextIOBase):
    """A text stream whose lines go to a logger at INFO (the log file, not the console)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger, self.pending = logger, ''

    def write(self, text: str) -> int:
        lines = (self.pending + text).split('\n')
        self.pending = lines.pop()
        for line in lines:
            if line.strip():
                self.logger.info(line)
        return len(text)


@RUNNERS.register_module()
class StageLogRunner(Runner):
    """mmengine's Runner whose console handler passes warnings and errors only: the environment,
    the full config, the hook table and the iteration lines go to ``<log_dir>/<timestamp>.log``,
    and so do what libraries print while the runner loads data, metrics and checkpoints
    (pycocotools' index lines, mmengine's checkpoint lines). Select it with
    ``runner_type = 'StageLogRunner'``; pair it with ``TrainingProgressHook`` for a progress bar
    on the console."""

    def build_logger(self, log_level: Union[int, str] = 'INFO',
                     log_file: Optional[str] = None, **kwargs) -> MMLogger:
        logger = super().build_logger(log_level, log_file, **kwargs)
        quiet_mmengine_console()
        return logger

    def build_dataloader(self, *args, **kwargs):
        with contextlib.redirect_stdout(_LinesToLog(self.logger)):
            return super().build_dataloader(*args, **kwargs)

    def build_evaluator(self, *args, **kwargs):
        with contextlib.redirect_stdout(_LinesToLog(self.logger)):
            return super().build_evaluator(*args, **kwargs)

    def load_or_resume(self) -> None:
        with contextlib.redirect_stdout(_LinesToLog(self.logger)):
            super().load_or_resume()
