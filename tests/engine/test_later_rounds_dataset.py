"""``self_training.later_rounds_dataset`` changes the training dataset of rounds >= 2 only: the
CPU recipe's later rounds train on every label of the previous round, half their images zoomed
out, while round 1 trains on Free Mask's confident labels at their own size."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import REPO, scenes_env
from mmfreesolo.engine.self_training import LABELS, SelfTraining
from mmfreesolo.pseudo_labels.label_file import manifest_path


def _transforms(cfg: Config) -> list:
    return [step['type'] for step in cfg.train_dataloader.dataset.pipeline]


@pytest.mark.parametrize('config', ['freesolo_mobilenetv2_scenes_cpu.py',
                                    'freesolo_r18_densecl_scenes_cpu.py',
                                    'demo/freesolo_demo_annotation_free_cpu.py',
                                    'demo/freesolo_demo_mobilenetv2_cpu.py'])
def test_only_later_rounds_train_on_zoomed_out_images(config, scenes, tmp_path, monkeypatch):
    for name, value in scenes_env(scenes).items():  # the pretraining stage lists the images
        monkeypatch.setenv(name, value)
    cfg = Config.fromfile(str(REPO / 'configs' / config))
    training = SelfTraining(cfg, 2, str(tmp_path))
    previous = osp.join(training.round_dir(1), LABELS)
    (tmp_path / 'round_1').mkdir()
    with open(manifest_path(previous), 'w') as f:
        json.dump(dict(num_masks=3), f)

    first, second = training.round_config(1, True), training.round_config(2, False)
    assert 'Expand' not in _transforms(first)
    assert first.train_dataloader.dataset.min_score > 0
    assert _transforms(second) == ['LoadImageFromFile', 'LoadAnnotations', 'Expand', 'Resize',
                                   'RandomFlip', 'PackDetInputs']
    dataset = second.train_dataloader.dataset
    assert dataset.ann_file == previous and dataset.min_score == 0.0
    (expand, ) = [step for step in dataset.pipeline if step['type'] == 'Expand']
    # the canvas is the mean the data preprocessor subtracts, in the loaded image's BGR order
    assert expand['to_rgb'] and expand['mean'] == cfg.model.data_preprocessor.mean
    assert cfg.model.data_preprocessor.bgr_to_rgb
    assert tuple(expand['ratio_range']) == (1, 2) and expand['prob'] == 0.5
