"""One progress bar per training run on the console: iterations done of those left, the rate,
the elapsed time and the ETA (mmengine's ProgressBar)."""
from __future__ import annotations

import sys
from typing import Optional

from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar


@HOOKS.register_module()
class TrainingProgressHook(Hook):
    """A console progress bar over the training iterations still to run (a resumed run counts
    from where it resumed). Meant for ``StageLogRunner``, whose console leaves the iteration
    lines to the log file."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._bar: Optional[ProgressBar] = None

    def before_train(self, runner) -> None:
        left = runner.max_iters - runner.iter
        # the console at this call (mmengine's default is the stdout at its import)
        self._bar = (ProgressBar(left, file=sys.stdout) if is_main_process() and left > 0
                     else None)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._bar is not None:
            self._bar.update()

    def after_train(self, runner) -> None:
        if self._bar is not None:
            sys.stdout.write('\n')
            sys.stdout.flush()
            self._bar = None
