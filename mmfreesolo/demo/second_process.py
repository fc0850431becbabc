"""Work run in a second process beside the demo's pipeline, the threads split between the two.

On a CPU, small batches use a second thread poorly: two one-thread trainings side by side do more
steps than one two-thread training (benchmarks/thread_split.py; docs/benchmarks.md, "The
demo"). The demo's comparison rows and supervised bound do not depend on its rounds, so they
train beside them.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from typing import Callable, Optional, Sequence

import torch

from ..errors import UserInputError

PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Linux: SIGTERM this process when its parent dies, SIGKILL included, so that a rerun of
    the demo never finds the previous one's second process still writing its work dirs."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (AttributeError, OSError):  # not Linux: the parent's stop() is all there is
        return
    if os.getppid() != parent:  # it died before the signal was asked for
        raise SystemExit(1)


def _child(log: str, threads: int, parent: int, target: Callable, args: Sequence) -> None:
    _die_with_parent(parent)
    torch.set_num_threads(threads)
    # file descriptors, not sys.stdout alone: mmengine's and C libraries' output go there too
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(out, 1)
    os.dup2(out, 2)
    target(*args)


def _tail(path: str, lines: int = 15) -> str:
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.read().replace('\r', '\n').splitlines(keepends=True)[-lines:])
    except OSError:
        return ''


class SecondProcess:
    """``target(*args)`` in a spawned process with ``threads`` torch threads, its output
    appended to ``log``; the calling process keeps ``threads`` torch threads too until
    :meth:`wait` or :meth:`stop`.

    Args:
        target: a module-level function (spawn pickles it by name).
        args: its arguments.
        log: the file its stdout and stderr go to.
        what: names the work in messages ("the comparison rows").
        threads: torch threads of each process.
    """

    def __init__(self, target: Callable, args: Sequence, log: str, what: str,
                 threads: int = 1) -> None:
        self.log = log
        self.what = what
        self.parent_threads = torch.get_num_threads()
        self.process: Optional[multiprocessing.process.BaseProcess] = \
            multiprocessing.get_context('spawn').Process(
                target=_child, args=(log, threads, os.getpid(), target, tuple(args)),
                name=what)
        self.process.start()
        torch.set_num_threads(threads)

    def wait(self) -> None:
        """Wait for it to end; a non-zero exit is an error quoting the end of its log."""
        if self.process is None:
            return
        self.process.join()
        code = self.process.exitcode
        self._release()
        if code != 0:
            raise UserInputError(f'{self.what} stopped with exit code {code}; the end of '
                                 f'{self.log}:\n{_tail(self.log)}')

    def stop(self) -> None:
        """End it now (the caller is stopping: an error or Ctrl-C)."""
        if self.process is None:
            return
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self._release()

    def _release(self) -> None:
        self.process = None
        torch.set_num_threads(self.parent_threads)
