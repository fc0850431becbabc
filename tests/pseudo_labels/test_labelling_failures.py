"""FailureGuard: an image's own failure is a recorded skip, the run's failure stops the run."""
import pytest
import torch

from mmfreesolo.pseudo_labels.labelling_failures import (FailureGuard, LabellingStopped,
                                                         describe_failure)


def failure(stage, error):
    try:
        raise error
    except Exception as e:
        return describe_failure(stage, e)


def test_unreadable_files_never_stop_the_run():
    guard = FailureGuard(max_repeats=2)
    for i in range(10):
        reason = guard.failed(f'{i}.png', failure('read', ValueError('empty file')))
        assert reason == 'empty file'
    assert not guard.in_doubt
    guard.finish()  # nothing reached the model: not the run's failure either


def test_an_image_among_working_ones_is_skipped():
    guard = FailureGuard(max_repeats=3)
    guard.succeeded()
    assert guard.failed('odd.png', failure('model', RuntimeError('bad shape'))) == \
        'RuntimeError: bad shape'
    assert guard.in_doubt
    guard.succeeded()
    assert not guard.in_doubt
    guard.finish()


def test_the_same_error_in_a_row_stops_the_run():
    guard = FailureGuard(max_repeats=3)
    guard.succeeded()
    errors = [failure('model', RuntimeError(f'image {i}')) for i in range(3)]
    assert all(e['where'] == errors[0]['where'] for e in errors)
    guard.failed('a.png', errors[0])
    guard.failed('b.png', errors[1])
    with pytest.raises(LabellingStopped, match=r'the same error failed 3 images in a row '
                       r'\(first a.png\).*RuntimeError: image 2 \(raised at '):
        guard.failed('c.png', errors[2])


def test_different_errors_or_a_read_failure_between_do_not_add_up():
    guard = FailureGuard(max_repeats=2)
    guard.succeeded()
    guard.failed('a.png', failure('model', RuntimeError('x')))
    guard.failed('b.png', failure('read', ValueError('empty file')))  # not counted
    guard.failed('c.png', failure('pipeline', RuntimeError('y')))      # another kind
    assert len(guard.streak) == 1


def test_programming_errors_and_out_of_memory_stop_at_once():
    with pytest.raises(LabellingStopped, match='programming or configuration error on a.png: '
                       "KeyError: 'img_shape'"):
        FailureGuard().failed('a.png', failure('pipeline', KeyError('img_shape')))
    oom = failure('model', RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried "
                                        'to allocate 10 GB'))
    with pytest.raises(LabellingStopped, match='ran out of memory on big.png alone'):
        FailureGuard().failed('big.png', oom)
    assert failure('model', torch.OutOfMemoryError('CUDA out of memory'))['out_of_memory']


def test_no_success_at_all_is_the_runs_failure():
    guard = FailureGuard(max_repeats=5)
    guard.failed('a.png', failure('model', RuntimeError('x')))
    guard.failed('b.png', failure('model', RuntimeError('x')))
    with pytest.raises(LabellingStopped, match=r'every image the run reached failed \(2, '
                       r'first a.png\)'):
        guard.finish()


def test_multi_line_messages_become_one_line():
    f = failure('model', RuntimeError('first line\n  detail\n  more'))
    assert f['message'] == 'first line'
