"""benchmarks/own_domain.py at reduced size on a generated micrograph (16-bit discs on a dark,
noisy background, with their label image): every command line of the own-domain recipe runs
(tiles, Free Mask, a round, predictions, stitching, scores, pictures), the classical pipeline
finds the discs, and without the data and without PyPI it stops with one line."""
import json
import os
import re

import numpy as np
import pytest

from conftest import run

pytestmark = pytest.mark.slow


def write_micrograph(folder, size=200, seed=0):
    import tifffile
    rng = np.random.default_rng(seed)
    labels = np.zeros((size, size), np.uint16)
    yy, xx = np.mgrid[:size, :size]
    for k in range(1, 31):
        r = rng.integers(7, 12)
        cy, cx = rng.integers(r, size - r, 2)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        if (labels[disc] == 0).all():          # apart, as the ids of a label image
            labels[disc] = 3 * k               # with gaps in the ids
    image = rng.normal(300, 40, (size, size)) + (labels > 0) * rng.uniform(1500, 3000)
    os.makedirs(folder, exist_ok=True)
    tifffile.imwrite(str(folder / 'img2d.tif'), np.clip(image, 0, 65535).astype(np.uint16))
    tifffile.imwrite(str(folder / 'mask2d.tif'), labels)
    return len(np.unique(labels)) - 1


def test_the_whole_recipe_at_reduced_size(tmp_path):
    discs = write_micrograph(tmp_path / 'data')
    out = tmp_path / 'out'
    args = ['benchmarks/own_domain.py', '--out', str(out), '--data', str(tmp_path / 'data'),
            '--seeds', '0', '--rounds', '1', '--iters', '10']
    result = run(args, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f'{discs} nuclei on a 200 x 200 image' in result.stdout
    rows = dict(re.findall(r'^\| (\w+) \| (.*) \|$', result.stdout, re.M))
    assert set(rows) >= {'otsu_watershed', 'free_mask', 'round_1'}
    metrics = {name: json.loads((out / 'seed_0' / f'{name}.metrics.json').read_text())['segm']
               for name in ('free_mask', 'round_1')}
    classical = json.loads((out / 'otsu_watershed.metrics.json').read_text())['segm']
    assert classical['AR@300'] > 0.8, 'bright discs apart: the threshold finds them'
    # Free Mask's masks lie on the discs (the tiles keep their size; each disc its own mask):
    # 0.30 on this image
    assert metrics['free_mask']['mAP_50'] > 0.2, metrics['free_mask']
    stitched = json.loads((out / 'seed_0' / 'round_1.json').read_text())
    assert [img['file_name'] for img in stitched['images']] == ['nuclei.tif']
    assert 'round_1 mask AP' in result.stdout and 'seed 0:' in result.stdout
    for stage in ('otsu_watershed', 'free_mask', 'round_1'):
        assert (out / 'pictures' / stage / 'nuclei.png').is_file()
    assert (out / 'pictures' / 'stages.jpg').is_file()
    times = json.loads((out / 'times.json').read_text())
    assert {'tiles', 'free_mask', 'seed_0/round_1'} <= set(times)

    trained = (out / 'seed_0.log').read_text()
    again = run(args, timeout=300)   # everything made is read back, nothing redone
    assert again.returncode == 0, again.stderr[-3000:]
    assert (out / 'seed_0.log').read_text() == trained
    assert rows == dict(re.findall(r'^\| (\w+) \| (.*) \|$', again.stdout, re.M))


def test_offline_without_data_is_one_line(tmp_path):
    env = dict(HOME=str(tmp_path), PIP_INDEX_URL='http://127.0.0.1:9/simple', PIP_RETRIES='0',
               PIP_TIMEOUT='1', PIP_NO_CACHE_DIR='1')
    result = run(['benchmarks/own_domain.py', '--out', str(tmp_path / 'out')], env=env,
                 timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        'error: cannot fetch stardist==0.9.2 from PyPI (offline? give --data DIR'), lines
