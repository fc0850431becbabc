"""`sbatch slurm/free_mask.sh` on the local Slurm cluster: a 3-shard array with a shard cancelled
mid-run, submitted again, completes with nothing lost or duplicated, the other shards not redone,
and its merge gives the single-process file."""
import json
import os
import re
import subprocess

import pytest

from conftest import REPO, assert_ok, run
from local_slurm import wait_for_job, wait_until
from mmfreesolo.scenes import generate_scenes

pytestmark = pytest.mark.slurm

CONFIG = str(REPO / 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py')
ARGS = ['--chunk-size', '1', '--batch-size', '1']


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp('slurm_scenes')
    generate_scenes(str(root), num_train=15, num_val=0, image_size=(128, 128), seed=3)
    return root / 'train'


@pytest.fixture(scope='module')
def reference(images, tmp_path_factory):
    """A single process with the shards' one thread (other thread counts sum the features in
    another order: the embeddings' last digits differ)."""
    out = tmp_path_factory.mktemp('reference') / 'labels.json'
    assert_ok(run(['tools/free_mask.py', CONFIG, '--images', str(images), '--out', str(out),
                   '--workers', '0', '--no-progress'] + ARGS, env=dict(OMP_NUM_THREADS='1')))
    return json.loads(out.read_text())


def _submit(images, out, tmp_path, name):
    """sbatch the submitting job; wait for it; the ids it printed."""
    log = tmp_path / f'{name}.out'
    env = dict(NUM_SHARDS='3', CPUS_PER_TASK='1', LOG_DIR=str(tmp_path / 'logs'))
    submitted = subprocess.run(
        ['sbatch', '--parsable', '--output', str(log), str(REPO / 'slurm' / 'free_mask.sh'),
         CONFIG, str(out), '--images', str(images)] + ARGS,
        cwd=tmp_path, capture_output=True, text=True, env={**os.environ, **env})
    assert submitted.returncode == 0, submitted.stderr
    assert wait_for_job(submitted.stdout.strip(), 300) == 'COMPLETED', log.read_text()
    text = log.read_text()
    ids = dict(re.findall(r'^(array_job|merge_job)=(\d+)', text, re.M))
    shards = re.search(r'shards=([\d,]+) of 3', text)
    return ids, shards.group(1) if shards else None, text


def test_three_shards_one_cancelled_then_resubmitted(slurm, images, reference, tmp_path):
    # three shards; shard 1 cancelled once it has written a chunk: the merge is then cancelled,
    # not left pending
    out = tmp_path / 'cancelled' / 'labels.json'
    ids, shards, _ = _submit(images, out, tmp_path, 'first')
    assert shards == '0,1,2'
    parts = out.parent / 'labels.shard-001-of-003.json.parts'
    wait_until(lambda: (parts / 'chunk-000001.json').exists(), 300, 'a chunk of shard 1')
    subprocess.run(['scancel', f'{ids["array_job"]}_1'], check=True)
    assert wait_for_job(ids['merge_job']) == 'CANCELLED'
    assert wait_for_job(ids['array_job']) in ('COMPLETED', 'CANCELLED')
    assert not out.exists()

    ids, shards, _ = _submit(images, out, tmp_path, 'again')
    assert shards == '1', 'only the cancelled shard is submitted again'
    assert wait_for_job(ids['merge_job']) == 'COMPLETED'
    merged = json.loads(out.read_text())
    assert merged == reference, 'the single-process file'
    assert not list(out.parent.glob('labels.shard-*')), 'the merge removes the shards'
    ids_seen = [img['id'] for img in merged['images']]
    assert len(ids_seen) == len(set(ids_seen)) == 15
    shard_log = (tmp_path / 'logs' / f'free-mask-{ids["array_job"]}_1.out').read_text()
    assert re.search(r'chunks to do, [1-9]\d* chunks done before', shard_log), shard_log

    # everything written: submitting again does nothing
    again = subprocess.run(['bash', str(REPO / 'slurm' / 'free_mask.sh'), CONFIG, str(out),
                            '--images', str(images)], capture_output=True, text=True)
    assert again.returncode == 0 and 'is complete; nothing to do' in again.stdout
