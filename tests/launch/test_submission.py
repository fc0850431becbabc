"""tools/submit.py without a cluster: what --dry-run would submit (on a machine without Slurm),
the checks made before anything is submitted, and Free Mask shards run for real by submitit's
local executor."""
import json
import shutil
import sys
from pathlib import Path

import pytest

from conftest import CPU_CONFIG, REPO, assert_ok, assert_one_line_error, run, scenes_env
from mmfreesolo.cli.submit import main as submit
from mmfreesolo.pseudo_labels.label_file import label_file_complete
from mmfreesolo.pseudo_labels.shards import shard_path, unfinished_shards

FREE_MASK = str(REPO / 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py')
PRETRAIN = str(REPO / 'configs/pretrain/densecl_r18_scenes_cpu.py')


def test_unfinished_shards(tmp_path):
    out = str(tmp_path / 'labels.json')
    assert unfinished_shards(out, 3) == [0, 1, 2]
    (tmp_path / 'labels.shard-001-of-003.json').write_text('{}')
    (tmp_path / 'labels.shard-002-of-003.json').write_text('{}')
    (tmp_path / 'labels.shard-002-of-003.json.parts').mkdir()  # still being written
    assert unfinished_shards(out, 3) == [0, 2]
    assert not label_file_complete(shard_path(out, 2, 3))
    (tmp_path / 'labels.json').write_text('{}')
    assert unfinished_shards(out, 3) == [], 'merged: nothing left'


def _without_slurm(env=None):
    """The environment of a machine without Slurm: no ``srun`` on PATH."""
    path = str(Path(sys.executable).parent)
    assert shutil.which('srun', path=path) is None
    return dict(env or {}, PATH=path)


def _free_mask_args(scenes, out):
    return ['tools/submit.py', 'free-mask', FREE_MASK, '--images', str(scenes / 'train'),
            '--out', str(out), '--chunk-size', '2']


def test_dry_run_of_free_mask_prints_the_array_and_the_merge(scenes, tmp_path, in_process):
    out = tmp_path / 'labels.json'
    args = _free_mask_args(scenes, out) + [
        '--num-shards', '3', '--partition', 'cpu', '--cpus-per-task', '2', '--timeout', '90',
        '--array-parallelism', '2', '--slurm-option', 'account=lab', '--dry-run',
        '--log-dir', str(tmp_path / 'logs')]
    result = in_process(submit, args[1:], env=_without_slurm(scenes_env(scenes)))
    assert_ok(result)
    text = result.stdout
    assert '== job 0: free-mask, array of 3 tasks' in text
    assert '== job 1: free-mask-merge, job, after job 0 succeeds' in text
    for k in range(3):
        assert f'shard_id={k}, num_shards=3' in text
    assert 'mmfreesolo.engine.free_mask_labelling.label_with_free_mask(' in text
    for line in ('#SBATCH --array=0-2%2', '#SBATCH --partition=cpu', '#SBATCH --cpus-per-task=2',
                 '#SBATCH --time=90', '#SBATCH --account=lab', '#SBATCH --requeue',
                 "#SBATCH --dependency='afterok:<job 0>'", '#SBATCH --kill-on-invalid-dep=yes',
                 'export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}'):
        assert line in text, line
    assert f"mmfreesolo.pseudo_labels.shards.merge_shards(out='{out}', remove=True)" in text
    assert not (tmp_path / 'logs').exists(), 'a dry run submits and writes nothing'

    # a written shard is not submitted again
    (tmp_path / 'labels.shard-001-of-003.json').write_text('{}')
    text = in_process(submit, args[1:]).stdout
    assert 'array of 2 tasks' in text and 'shard_id=1,' not in text


def test_dry_run_of_multi_node_training(scenes, tmp_path, in_process):
    result = in_process(submit, ['train', CPU_CONFIG, '--work-dir', str(tmp_path / 'w'),
                                 '--nodes', '2', '--gpus-per-node', '8', '--dry-run'],
                        env=_without_slurm(scenes_env(scenes)))
    assert_ok(result)
    for line in ('#SBATCH --nodes=2', '#SBATCH --gpus-per-node=8', '#SBATCH --ntasks-per-node=8',
                 '#SBATCH --signal=USR2@90', '#SBATCH --requeue'):
        assert line in result.stdout, line
    call = (f"mmfreesolo.engine.training.train(config='{CPU_CONFIG}', "
            f"work_dir='{tmp_path / 'w'}', amp=False, auto_scale_lr=False, resume='auto'")
    assert call in result.stdout


def test_dry_run_of_pretraining(scenes, tmp_path, in_process):
    result = in_process(submit, ['pretrain', PRETRAIN, '--images', str(scenes / 'train'),
                                 '--work-dir', str(tmp_path / 'w'), '--nodes', '2',
                                 '--gpus-per-node', '4', '--dry-run'], env=_without_slurm())
    assert_ok(result)
    text = result.stdout
    assert '#SBATCH --nodes=2' in text and '#SBATCH --ntasks-per-node=4' in text
    assert (f"mmfreesolo.engine.pretraining.pretrain(config='{PRETRAIN}', "
            f"images='{scenes / 'train'}', ann_file=None, img_root=None, "
            f"work_dir='{tmp_path / 'w'}', resume='auto'") in text


@pytest.mark.parametrize('extra, message', [
    (['pretrain', PRETRAIN, '--images', 'no/such/dir'], 'no such folder'),
    (['pretrain', PRETRAIN, '--images', 'x', '--resume', 'x.pth'], 'always resumes'),
    (['pretrain', FREE_MASK, '--images', 'x'], 'not a pretraining config'),
    (['train', CPU_CONFIG, '--resume', 'x.pth'], 'always resumes'),
    (['train', CPU_CONFIG, '--launcher', 'pytorch'], '--launcher is set by the submission'),
    (['train', 'missing.py'], 'no such config'),
    (['train', CPU_CONFIG, '--slurm-option', 'account'], 'KEY=VALUE'),
    (['train', CPU_CONFIG, '--nodes', '0'], '--nodes must be positive'),
    (['free-mask', FREE_MASK, '--images', 'x', '--out', 'o.json', '--shard-id', '1'],
     '--shard-id is set by the submission'),
    (['free-mask', FREE_MASK, '--images', 'no/such/dir', '--out', 'o.json'], 'no such folder'),
    (['free-mask', FREE_MASK, '--images', 'x', '--out', 'o.json', '--tasks-per-node', '2'],
     'one task per shard'),
])
def test_bad_submissions_fail_before_submitting(scenes, extra, message, in_process):
    result = in_process(submit, extra + ['--dry-run'], env=scenes_env(scenes))
    assert_one_line_error(result, message)


@pytest.mark.slow
def test_free_mask_shards_through_submitits_local_executor(scenes, tmp_path):
    """The jobs themselves, run by submitit as processes on this machine: 2 shards then the
    merge give the file of a single run."""
    single = tmp_path / 'single.json'
    assert_ok(run(['tools/free_mask.py', FREE_MASK, '--images', str(scenes / 'train'), '--out',
                   str(single), '--chunk-size', '2', '--workers', '0', '--no-progress'],
                  env=scenes_env(scenes)))
    out = tmp_path / 'sharded.json'
    result = run(_free_mask_args(scenes, out) + [
        '--workers', '0', '--num-shards', '2', '--cluster', 'local', '--cpus-per-task', '1',
        '--wait', '--log-dir', str(tmp_path / 'logs')], env=scenes_env(scenes))
    assert_ok(result)
    assert result.stdout.count(': FINISHED') == 3, result.stdout  # local executor's word
    assert json.loads(out.read_text()) == json.loads(single.read_text())
    assert not list(tmp_path.glob('sharded.shard-*')), 'the merge removes the shards'
    again = run(_free_mask_args(scenes, out) + ['--cluster', 'local'], env=scenes_env(scenes))
    assert_ok(again)
    assert 'nothing to do' in again.stdout
