import importlib
import os
import signal
import time

import pytest

from mmfreesolo.errors import RESUME_TO_CONTINUE, RUN_AGAIN_TO_CONTINUE, exit_on_interrupt

STOPPED = 'stopped: run the same command again'


def _sigint_then(turn_into=None):
    """A ``main`` that receives Ctrl-C, optionally turned into another exception on its way up."""

    @exit_on_interrupt(STOPPED)
    def main():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(10)  # the handler raises as soon as it runs
            raise AssertionError('the SIGINT was not delivered')
        except KeyboardInterrupt:
            if turn_into is None:
                raise
            raise turn_into from None

    return main


@pytest.mark.parametrize('turn_into', [None, TypeError("__array__() got an unexpected keyword "
                                                       "argument 'copy'")])
def test_ctrl_c_is_one_line_and_exit_130_even_when_a_library_changed_the_exception(
        turn_into, capsys):
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(SystemExit) as stop:
        _sigint_then(turn_into)()
    assert stop.value.code == 130
    assert capsys.readouterr().err == f'\n{STOPPED}\n'
    assert signal.getsignal(signal.SIGINT) is before, 'the previous handler is back'


def test_an_error_without_ctrl_c_keeps_its_traceback_and_a_result_comes_back():

    @exit_on_interrupt(STOPPED)
    def fails():
        raise TypeError('a bug')

    with pytest.raises(TypeError, match='a bug'):
        fails()
    assert exit_on_interrupt(STOPPED)(lambda x: x + 1)(1) == 2


def _receives_ctrl_c(**options):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(10)


@pytest.mark.parametrize('command,work,argv,stopped', [
    ('self_train', 'self_train', ['c.py', '--work-dir', 'w'], RUN_AGAIN_TO_CONTINUE),
    ('free_mask', 'label_with_free_mask', ['c.py', '--images', 'i', '--out', 'o'],
     RUN_AGAIN_TO_CONTINUE),
    ('pretrain', 'pretrain', ['c.py'], RESUME_TO_CONTINUE),
    ('train', 'train', ['c.py'], RESUME_TO_CONTINUE),
])
def test_the_commands_that_resume_say_how_when_stopped(command, work, argv, stopped, monkeypatch,
                                                       capsys):
    cli = importlib.import_module(f'mmfreesolo.cli.{command}')
    monkeypatch.setattr(cli, work, _receives_ctrl_c)
    monkeypatch.setattr(cli, f'{command}_options', lambda args: {})
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 130 and capsys.readouterr().err == f'\n{stopped}\n'
