"""Which failures of a labelling run are an image's own (a recorded skip; the run goes on) and
which are the run's (the model or the configuration is wrong: the run stops with one line).

An image's failure is its own when it could not be read (a corrupt, truncated or empty file), or
when the pipeline or the model failed on it while they work on other images. The run stops
when:

* the error is a programming or configuration error (``TypeError``, ``KeyError``, ...): no image
  causes those;
* the model runs out of memory on a single image (a smaller batch cannot cure it);
* the same error (type and place) fails ``max_repeats`` images in a row;
* nothing succeeded on any of the images the run reached.

Failures are carried as plain dicts (they cross data-loader worker processes):
``dict(stage='read'|'pipeline'|'model', type, message, where)``.
"""
from __future__ import annotations

import os.path as osp
import traceback
from typing import Dict, List, Optional

import torch

from ..errors import UserInputError

# Errors no image's content causes: a bug, or a configuration that names what is not there.
PROGRAMMING_ERRORS = (TypeError, AttributeError, NameError, KeyError, AssertionError,
                      NotImplementedError, ImportError, UserInputError)


class LabellingStopped(UserInputError):
    """A labelling run cannot go on: the message names the error and where it was raised."""


def describe_failure(stage: str, error: BaseException) -> Dict[str, str]:
    """The plain-dict form of an exception raised at ``stage``."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f'{_short_path(frames[-1].filename)}:{frames[-1].lineno}' if frames else '?'
    message = str(error).strip().split('\n')[0]  # torch's messages run over many lines
    return dict(stage=stage, type=type(error).__name__, message=message, where=where,
                programming_error=isinstance(error, PROGRAMMING_ERRORS),
                out_of_memory=is_out_of_memory(error))


def skip_reason(failure: Dict[str, str]) -> str:
    """What a label file records for a skipped image."""
    if failure['stage'] == 'read':
        return failure['message']
    return f'{failure["type"]}: {failure["message"]}'


def is_out_of_memory(error: BaseException) -> bool:
    message = str(error)
    return (isinstance(error, torch.OutOfMemoryError) or 'out of memory' in message
            or "can't allocate memory" in message)


def _short_path(path: str) -> str:
    parts = osp.normpath(path).split(osp.sep)
    for anchor in ('mmfreesolo', 'mmdet', 'mmengine', 'mmcv', 'torch'):
        if anchor in parts:
            return '/'.join(parts[len(parts) - 1 - parts[::-1].index(anchor):])
    return path


class FailureGuard:
    """Fed every image's outcome in order; raises :class:`LabellingStopped` when a failure
    is the run's, not the image's.

    While failures of one kind repeat with no success in between, they may still turn out to be
    the run's: :attr:`in_doubt` tells the caller to hold back writing the chunks that hold them.
    """

    def __init__(self, max_repeats: int = 5) -> None:
        self.max_repeats = max_repeats
        self.successes = 0
        self.streak: List[tuple] = []  # (failure, file name) of the unresolved failures

    @property
    def in_doubt(self) -> bool:
        return bool(self.streak)

    def succeeded(self) -> None:
        self.successes += 1
        self.streak.clear()

    def failed(self, file_name: str, failure: Dict[str, str]) -> str:
        """Record a failure; returns the skip reason, or raises if the run must stop."""
        if failure['stage'] == 'read':  # the file itself: never the run's
            return skip_reason(failure)
        if failure['programming_error']:
            self._stop(f'{failure["stage"]} raised a programming or configuration error on '
                       f'{file_name}', failure)
        if failure['out_of_memory'] and failure['stage'] == 'model':
            self._stop(f'the model ran out of memory on {file_name} alone (a smaller batch '
                       'cannot help: use smaller inputs or another device)', failure)
        signature = _signature(failure)
        if self.streak and _signature(self.streak[0][0]) != signature:
            self.streak.clear()
        self.streak.append((failure, file_name))
        if len(self.streak) >= self.max_repeats:
            self._stop(f'the same error failed {len(self.streak)} images in a row (first '
                       f'{self.streak[0][1]}), so it is the {failure["stage"]}\'s, not theirs',
                       failure)
        return skip_reason(failure)

    def finish(self) -> None:
        """At the end of the run: failures with no success at all are the run's."""
        if self.streak and self.successes == 0:
            failure, first = self.streak[0]
            self._stop(f'every image the run reached failed ({len(self.streak)}, first {first})',
                       failure)

    @staticmethod
    def _stop(what: str, failure: Dict[str, str]) -> None:
        raise LabellingStopped(f'labelling stopped: {what}: {failure["type"]}: '
                               f'{failure["message"]} (raised at {failure["where"]}); the '
                               'chunks written before are kept, a rerun continues from them')


def _signature(failure: Optional[Dict[str, str]]) -> tuple:
    return failure['stage'], failure['type'], failure['where']
