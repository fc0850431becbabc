"""train_and_evaluate (the demo's supervised upper bound): trains once, validates once, and an
interrupted or finished run is continued or read back, not redone."""
import json

import pytest
from mmengine.config import Config

from conftest import CPU_CONFIG
from mmfreesolo.engine.self_training import train_and_evaluate


def _config(scenes, work_dir, max_iters):
    mp = pytest.MonkeyPatch()
    mp.setenv('MMFREESOLO_SCENES', str(scenes) + '/')
    cfg = Config.fromfile(CPU_CONFIG)
    mp.undo()
    cfg.work_dir = str(work_dir)
    # a Runner's logger and visualizer are global instances found by name: another test's
    # visualizer would write this run's scalars into its own work dir
    cfg.experiment_name = f'train_and_evaluate_{max_iters}_{work_dir.name}'
    cfg.visualizer.name = cfg.experiment_name
    cfg.train_cfg.update(max_iters=max_iters, val_interval=max_iters)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0, deterministic=True)
    return cfg


def test_trains_validates_and_reads_back(scenes, tmp_path):
    first = train_and_evaluate(_config(scenes, tmp_path, 2))
    assert 0 <= first['segm_mAP'] <= 1 and 'segm_AR@100' in first
    kept = tmp_path / 'val_metrics.json'
    assert json.loads(kept.read_text()) == first
    checkpoint = (tmp_path / 'iter_2.pth').stat().st_mtime_ns

    # finished, metrics lost: validated again from the last checkpoint, not retrained
    kept.unlink()
    assert train_and_evaluate(_config(scenes, tmp_path, 2)) == first
    assert (tmp_path / 'iter_2.pth').stat().st_mtime_ns == checkpoint
    assert not (tmp_path / 'iter_4.pth').exists()

    # the schedule lengthened: training continues from iteration 2 to 4
    kept.unlink()
    longer = train_and_evaluate(_config(scenes, tmp_path, 4))
    assert (tmp_path / 'iter_4.pth').exists() and kept.exists()
    assert json.loads(kept.read_text()) == longer
    # every training iteration logged once over the runs (a restart would log 1 and 2 again)
    trained = [json.loads(line)['iter'] for log in tmp_path.glob('*/vis_data/scalars.json')
               for line in log.read_text().splitlines() if 'loss' in line]
    assert sorted(trained) == [1, 2, 3, 4]

    # metrics there: read back, nothing runs
    kept.write_text(json.dumps(dict(segm_mAP=0.5)))
    assert train_and_evaluate(_config(scenes, tmp_path, 4)) == dict(segm_mAP=0.5)
