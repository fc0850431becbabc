"""Shared fixtures: small generated scenes and a helper that runs the real command lines; how
the suite shares the machine's cores between pytest-xdist's workers, and the time each tier
took."""
from __future__ import annotations

import collections
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
CPU_CONFIG = str(REPO / 'configs' / 'solov2_r18_scenes_cpu.py')
# make test's whole suite on the developer's machine; a machine of our kind was measured up to
# 4x slower, and CI gives set-up and tests 90 minutes
BUDGET_MINUTES = 12


def _share_the_cores() -> None:
    """Under pytest-xdist each worker, and every command line it starts, gets its share of the
    cores as torch threads (one each with two workers on two cores), so that two trainings side
    by side do not fight over the same cores."""
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1'))
    if workers > 1:
        threads = max(1, len(os.sched_getaffinity(0)) // workers)
        os.environ['OMP_NUM_THREADS'] = str(threads)
        torch.set_num_threads(threads)


_share_the_cores()


def _tier(keywords) -> str:
    return 'slurm' if 'slurm' in keywords else 'slow' if 'slow' in keywords else 'fast'


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """The Slurm tests run in one worker (the local cluster is started once), and the slow
    tiers are handed out first, so that no long test starts last while the other worker idles."""
    for item in items:
        if _tier(item.keywords) == 'slurm':
            item.add_marker(pytest.mark.xdist_group('slurm'))
    order = {'slurm': 0, 'slow': 1, 'fast': 2}
    items.sort(key=lambda item: order[_tier(item.keywords)])  # stable: files stay in order


_tier_seconds: Dict[str, float] = collections.Counter()
_tier_tests: Dict[str, int] = collections.Counter()
_session_start = time.monotonic()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = _tier(report.keywords)
    _tier_seconds[tier] += report.duration
    _tier_tests[tier] += report.when == 'call'


def pytest_terminal_summary(terminalreporter) -> None:
    """The time each tier's tests took (added up over the workers) and the suite's wall time
    against the budget."""
    if not _tier_tests:
        return
    wall = time.monotonic() - _session_start
    workers = terminalreporter.config.getoption('numprocesses', None) or 1
    write = terminalreporter.write_line
    terminalreporter.section('time per tier')
    for tier in ('fast', 'slow', 'slurm'):
        if _tier_tests[tier]:
            write(f'{tier}: {_tier_tests[tier]} tests, {_tier_seconds[tier]:.0f} s of test time')
    within = 'within' if wall <= 60 * BUDGET_MINUTES else 'OVER'
    write(f'wall time {wall // 60:.0f} min {wall % 60:.0f} s with {workers} worker(s): {within} '
          f'the {BUDGET_MINUTES}-minute budget of the whole suite (tests/conftest.py)')


@pytest.fixture(scope='session')
def scenes(tmp_path_factory) -> Path:
    """8 train and 4 val scenes of 128 px, shared by every test that only reads them."""
    from mmfreesolo.scenes import generate_scenes
    root = tmp_path_factory.mktemp('scenes')
    generate_scenes(str(root), num_train=8, num_val=4, image_size=(128, 128), seed=0)
    return root


def run(args: List[str], env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None,
        timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command line with this interpreter, output captured as text."""
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    return subprocess.run([sys.executable] + args, cwd=str(cwd or REPO), env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def in_process(monkeypatch, capsys):
    """``call(main, argv, env=None)``: a command line's ``main`` run in this process, as a
    :class:`subprocess.CompletedProcess` (its exit code, what it printed). For checks of bad
    input, which then cost milliseconds instead of a Python start-up with torch and mmdet."""
    from mmengine.logging import MMLogger

    # mmengine's logger, made by the first config read, writes to that test's captured stream
    monkeypatch.setattr(MMLogger, '_instance_dict', collections.OrderedDict())

    def call(main, argv: List[str], env: Optional[Dict[str, str]] = None):
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        try:
            main(argv)
            code = 0
        except SystemExit as exited:
            code = exited.code
        out = capsys.readouterr()
        return subprocess.CompletedProcess(argv, code, out.out, out.err)

    return call


def scenes_env(scenes_root: Path) -> Dict[str, str]:
    """Point the CPU configs at a scenes folder (read by mmengine as {{$MMFREESOLO_SCENES}})."""
    return {'MMFREESOLO_SCENES': str(scenes_root) + os.sep}


def kill_when(args: List[str], env: Dict[str, str], log: Path, ready, what: str,
              sig: int = signal.SIGKILL) -> Optional[int]:
    """Start the command line, send ``sig`` to it and its children as soon as ``ready()``; it
    must not have finished before. SIGINT is a terminal's Ctrl-C: the command must then end
    within a minute, and its exit code is returned."""
    with open(log, 'a') as out:
        proc = subprocess.Popen([sys.executable] + args, cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env=dict(os.environ, PYTHONUNBUFFERED='1', **env))
    deadline = time.time() + 600
    while not ready():
        assert proc.poll() is None, f'finished before the kill {what}:\n{log.read_text()[-3000:]}'
        assert time.time() < deadline, f'no kill point {what}'
        time.sleep(0.01)
    os.killpg(proc.pid, sig)
    if sig == signal.SIGKILL:
        proc.wait()
        return None
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(f'still running a minute after {signal.Signals(sig).name} {what}')


def label_content(path: Path) -> tuple:
    """A label file's images and annotations (not its info, which names the run's paths)."""
    data = json.loads(Path(path).read_text())
    return data['images'], data['annotations']


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


def _local_cluster(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(['bash', str(REPO / 'slurm' / 'local_cluster.sh'), *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope='session')
def slurm():
    """``SLURM_CONF`` of a running local cluster, set in this process's environment, and the
    virtual environment first on PATH so that batch scripts find its ``python``.

    A cluster that is already running is used as it is; otherwise one is started (installing
    the packages if needed) and stopped at the end. Skipped, with the reason, only when it
    cannot start."""
    started = None
    if _local_cluster('status').returncode != 0:
        begin = time.monotonic()
        result = _local_cluster('start')
        if result.returncode != 0:
            pytest.skip(f'the local Slurm cluster cannot start: {result.stderr.strip()[-800:]}')
        started = time.monotonic() - begin
        print(f'\nlocal Slurm cluster started in {started:.1f} s')
    conf = _local_cluster('env').stdout.strip().split('=', 1)[1]
    mp = pytest.MonkeyPatch()
    mp.setenv('SLURM_CONF', conf)
    mp.setenv('PATH', f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}')
    yield conf
    mp.undo()
    if started is not None:
        _local_cluster('stop')
