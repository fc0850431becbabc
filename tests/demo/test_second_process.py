"""The demo's second process: its output in its log, one torch thread in each process while it
runs, its failure an error quoting the log, and it never outlives the process that started it."""
import operator
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import REPO
from mmfreesolo.demo.second_process import SecondProcess
from mmfreesolo.errors import UserInputError

PRINT_THREADS = "import torch; print('threads in the second process:', torch.get_num_threads())"


def test_output_goes_to_the_log_and_each_process_has_one_thread(tmp_path):
    log = tmp_path / 'beside.log'
    before = torch.get_num_threads()
    beside = SecondProcess(exec, (PRINT_THREADS, ), str(log), 'the check')
    assert torch.get_num_threads() == 1, 'the caller gives the second process a core'
    beside.wait()
    assert 'threads in the second process: 1' in log.read_text()
    assert torch.get_num_threads() == before
    beside.wait()  # once ended, again is nothing


def test_a_failure_is_an_error_quoting_the_end_of_the_log(tmp_path):
    log = tmp_path / 'beside.log'
    before = torch.get_num_threads()
    beside = SecondProcess(operator.truediv, (1, 0), str(log), 'the comparison rows')
    with pytest.raises(UserInputError) as error:
        beside.wait()
    message = str(error.value)
    assert message.startswith('the comparison rows stopped with exit code 1; the end of '
                              f'{log}:')
    assert 'ZeroDivisionError' in message
    assert torch.get_num_threads() == before


def test_stop_ends_it_at_once(tmp_path):
    beside = SecondProcess(time.sleep, (120, ), str(tmp_path / 'beside.log'), 'the sleep')
    process = beside.process
    start = time.time()
    beside.stop()
    assert not process.is_alive() and time.time() - start < 30
    assert beside.process is None


def _gone(pid: int) -> bool:
    try:
        with open(f'/proc/{pid}/status') as f:
            return 'State:\tZ' in f.read()  # a zombie: ended, not reaped (no init here)
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='PR_SET_PDEATHSIG is Linux')
def test_it_dies_with_a_killed_parent(tmp_path):
    parent = subprocess.Popen(
        [sys.executable, '-c', 'import sys, time\n'
         'from mmfreesolo.demo.second_process import SecondProcess\n'
         f'beside = SecondProcess(time.sleep, (120, ), {str(tmp_path / "b.log")!r}, "sleep")\n'
         'print(beside.process.pid, flush=True)\n'
         'time.sleep(120)\n'], cwd=REPO, stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    deadline = time.time() + 60
    while not (tmp_path / 'b.log').exists() and time.time() < deadline:
        time.sleep(0.1)  # the log is opened once the parent-death signal is set
    assert (tmp_path / 'b.log').exists(), 'the second process did not start'
    assert not _gone(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 20
    while not _gone(child) and time.time() < deadline:
        time.sleep(0.2)
    try:
        assert _gone(child), 'the second process outlived its killed parent'
    finally:
        if not _gone(child):  # not left running after a failure
            os.kill(child, signal.SIGKILL)
