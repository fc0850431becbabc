"""Shared fixtures: small generated scenes and a helper that runs the real command lines."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[1]
CPU_CONFIG = str(REPO / 'configs' / 'solov2_r18_scenes_cpu.py')


@pytest.fixture(scope='session')
def scenes(tmp_path_factory) -> Path:
    """8 train and 4 val scenes of 128 px, shared by every test that only reads them."""
    from mmfreesolo.datasets.scenes import generate_scenes
    root = tmp_path_factory.mktemp('scenes')
    generate_scenes(str(root), num_train=8, num_val=4, image_size=(128, 128), seed=0)
    return root


def run(args: List[str], env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None,
        timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command line with this interpreter, output captured as text."""
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    return subprocess.run([sys.executable] + args, cwd=str(cwd or REPO), env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def scenes_env(scenes_root: Path) -> Dict[str, str]:
    """Point the CPU configs at a scenes folder (read by mmengine as {{$MMFREESOLO_SCENES}})."""
    return {'MMFREESOLO_SCENES': str(scenes_root) + os.sep}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def assert_ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, (
        f'exit {result.returncode}\n--- stdout\n{result.stdout[-4000:]}\n'
        f'--- stderr\n{result.stderr[-6000:]}')


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """The command failed with exit 2 and a single 'error:' line naming the problem."""
    assert result.returncode == 2, (result.returncode, result.stderr[-3000:])
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 1, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]
