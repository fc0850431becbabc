"""JSON files that cross a process or a job boundary: read with one clear error, written
atomically (a reader, or a run killed half-way, never sees a half-written file)."""
from __future__ import annotations

import json
import os
import os.path as osp
import tempfile
from typing import Any

from ..errors import UserInputError


def read_json(path: str) -> Any:
    """Parse a json file; a missing, binary or invalid file raises :class:`UserInputError`."""
    if not osp.isfile(path):
        raise UserInputError(f'{path}: no such file')
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise UserInputError(
            f'{path}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})') from None
    except UnicodeDecodeError:
        raise UserInputError(f'{path}: not a UTF-8 text file') from None


def write_json_atomic(path: str, obj: Any, **dump_kwargs: Any) -> None:
    """Write ``obj`` as JSON to ``path`` through a temporary file in the same folder."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', dir=folder)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(obj, f, **dump_kwargs)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
