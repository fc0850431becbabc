"""What `make test` relies on from pytest-xdist, checked in the installed versions: tests given an
``xdist_group`` (by a module's ``pytestmark``, or added by a conftest hook as tests/conftest.py
does for the Slurm tests) run in one worker, so a module's fixtures and the local cluster are made
once. pytest 9.2 broke this without a word (requirements/tests.txt pins below it)."""
import re
import subprocess
import sys

from conftest import assert_ok

TESTS = """
import pytest
pytestmark = pytest.mark.xdist_group('module')
def test_a(): pass
def test_b(): pass
def test_c(): pass
"""
OTHERS = """
import pytest
@pytest.mark.cluster
def test_x(): pass
@pytest.mark.cluster
def test_y(): pass
def test_free_1(): pass
def test_free_2(): pass
def test_free_3(): pass
"""
CONFTEST = """
import pytest
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if 'cluster' in item.keywords:
            item.add_marker(pytest.mark.xdist_group('cluster'))
"""


def test_grouped_tests_run_in_one_worker(tmp_path):
    (tmp_path / 'pytest.ini').write_text('[pytest]\nmarkers =\n    cluster: grouped by a hook\n')
    (tmp_path / 'conftest.py').write_text(CONFTEST)
    (tmp_path / 'test_grouped.py').write_text(TESTS)
    (tmp_path / 'test_others.py').write_text(OTHERS)
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-n', '2', '--dist', 'loadgroup', '-v',
         '-p', 'no:cacheprovider', str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert_ok(result)
    worker = {name: gw for gw, name in re.findall(r'\[(gw\d)\].*PASSED \S+::(test_\w+)',
                                                  result.stdout)}
    assert len(worker) == 8, result.stdout
    assert len({worker[name] for name in ('test_a', 'test_b', 'test_c')}) == 1, result.stdout
    assert worker['test_x'] == worker['test_y'], result.stdout
