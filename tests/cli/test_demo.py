"""The demo: tools/demo.py draws a model's or Free Mask's instances on any images, and the
pipelines of `make demo` (no external weights) and `make demo-mobilenetv2` (here at a reduced
size) write every artefact, stages in order."""
import json
import re

import cv2
import pytest
from mmengine.config import Config

from conftest import CPU_CONFIG, REPO, assert_ok, assert_one_line_error, run, scenes_env
from mmfreesolo.demo.photos import PHOTOS

FREE_MASK = str(REPO / 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py')
STAGES = ['Free Mask', 'FreeSOLO round 1', 'FreeSOLO round 2']


@pytest.fixture(scope='module')
def images(scenes, tmp_path_factory):
    """Two val scenes, a photo, and a file that is no image."""
    folder = tmp_path_factory.mktemp('demo_images')
    for name in ('000001.png', '000002.png'):
        (folder / name).write_bytes((scenes / 'val' / name).read_bytes())
    from mmfreesolo.demo.photos import write_photos
    write_photos(str(folder), ['coffee'])
    (folder / 'notes.txt').write_text('not an image')
    return folder


def _read_png(path):
    image = cv2.imread(str(path))
    assert image is not None, path
    return image


def test_demo_tool_with_free_mask_alone(images, scenes, tmp_path):
    result = run(['tools/demo.py', str(images), '--config', FREE_MASK, '--out', str(tmp_path)],
                 env=scenes_env(scenes))
    assert_ok(result)
    assert 'skipped notes.txt' in result.stdout and 'wrote 3 overlays' in result.stdout
    assert sorted(p.name for p in tmp_path.glob('*.png')) == ['000001.png', '000002.png',
                                                              'coffee.png']
    scene = _read_png(tmp_path / '000001.png')
    assert scene.shape[1] == 256, 'a 128 px scene is drawn at 256 px'
    assert _read_png(tmp_path / 'coffee.png').shape[1] == 600


@pytest.mark.slow
def test_demo_tool_with_a_trained_model(images, scenes, tmp_path):
    work = tmp_path / 'train'
    assert_ok(run(['tools/train.py', CPU_CONFIG, '--work-dir', str(work), '--cfg-options',
                   'train_cfg.max_iters=2', 'train_cfg.val_interval=100'], env=scenes_env(scenes)))
    out = tmp_path / 'overlays'
    result = run(['tools/demo.py', str(images / '000001.png'), '--config', CPU_CONFIG,
                  '--checkpoint', str(work / 'iter_2.pth'), '--out', str(out), '--score-thr',
                  '0'], env=scenes_env(scenes))
    assert_ok(result)
    assert 'wrote 1 overlays' in result.stdout
    _read_png(out / '000001.png')

    missing = run(['tools/demo.py', str(images), '--config', CPU_CONFIG, '--out', str(out)],
                  env=scenes_env(scenes))
    assert_one_line_error(missing, 'give its --checkpoint')
    other = run(['tools/demo.py', str(images), '--config', CPU_CONFIG, '--checkpoint',
                 str(REPO / 'README.md'), '--out', str(out)], env=scenes_env(scenes))
    assert_one_line_error(other, 'not a PyTorch checkpoint')


MOBILENETV2_DEMO_TEST_CONFIG = f"""
_base_ = '{REPO}/configs/demo/freesolo_demo_mobilenetv2_cpu.py'
demo = dict(num_train=16, num_val=4, num_pictures=2, photos=True,
            supervised=dict(cfg_options=dict(
                train_cfg=dict(max_iters=30, val_interval=30),
                default_hooks=dict(checkpoint=dict(interval=30, max_keep_ckpts=1)))))
train_cfg = dict(max_iters=30, val_interval=30)
default_hooks = dict(checkpoint=dict(interval=30, max_keep_ckpts=1), logger=dict(interval=10))
# 16 scenes and 30 iterations: looser cuts than the demo's, so that every round has labels
train_dataloader = dict(dataset=dict(min_score=0.6))
model = dict(test_cfg=dict(score_thr=0.01, filter_thr=0.0))
custom_hooks = [dict(type='TrainingProgressHook'),
                dict(type='SelfTrainingHook', score_thr=0.01, max_per_img=20)]
"""


@pytest.mark.slow
def test_mobilenetv2_demo_writes_every_artefact(tmp_path):
    config = tmp_path / 'demo_test.py'
    config.write_text(MOBILENETV2_DEMO_TEST_CONFIG)
    out = tmp_path / 'demo'
    result = run(['tools/demo_pipeline.py', '--config', str(config), '--out', str(out)],
                 timeout=1500)
    assert_ok(result)

    used = Config.fromfile(str(out / 'config.py'))
    assert used.train_cfg.max_iters == 30
    assert used.train_dataloader.dataset.data_root == str(out / 'scenes') + '/'

    rows = json.loads((out / 'ap_table.json').read_text())
    assert [row['stage'] for row in rows] == STAGES + ['supervised upper bound']
    for row in rows:
        for metric in ('mask AP', 'mask AP50', 'mask AP75', 'box AP', 'box AP50'):
            if row['stage'] == 'supervised upper bound' and metric.startswith('box'):
                assert row[metric] is None, 'mmdet\'s SOLOv2 predicts no boxes'
            else:
                assert 0 <= row[metric] <= 1, (row['stage'], metric)
    supervised = out / 'work' / 'supervised'
    assert json.loads((supervised / 'val_metrics.json').read_text())['segm_mAP'] == rows[3][
        'mask AP'], 'trained and scored in its own work dir'
    (trained, ) = supervised.glob('solov2_mobilenetv2_scenes_cpu.py')
    bound_cfg = Config.fromfile(str(trained))
    assert bound_cfg.train_cfg.max_iters == 30 and bound_cfg.randomness == used.randomness
    assert bound_cfg.train_dataloader.dataset.ann_file == 'annotations/instances_train.json'
    # Free Mask is deterministic and finds objects in 4 scenes; the rounds, 30 iterations on 16
    # scenes, may find none (the learning is checked by test_freesolo_end_to_end.py)
    assert rows[0]['mask AP50'] > 0.05, rows[0]
    table = (out / 'ap_table.md').read_text().splitlines()
    assert len(table) == 2 + 4 and table[2].startswith('| Free Mask |')
    assert f'{rows[2]["mask AP"]:.3f}' in table[4]
    assert table[5].startswith('| supervised upper bound |') and '| - | - |' in table[5]
    assert 'class-agnostic AP on the val scenes' in result.stdout and table[5] in result.stdout
    assert re.search(r'== round 2 of 2', result.stdout), 'progress is shown'
    assert '== supervised upper bound: solov2_mobilenetv2_scenes_cpu.py' in result.stdout
    assert len(re.findall(r'30/30, [\d.]+ task/s, elapsed: \d+s, ETA:', result.stdout)) >= 3
    for detail in ('Config:', 'Hooks will be executed', 'Iter(train)'):
        assert detail not in result.stdout, f'{detail} goes to the log file only'
        for work in ('round_1', 'supervised'):
            assert any(detail in log.read_text()
                       for log in (out / 'work' / work).glob('*/*.log')), (work, detail)

    names = ['000001', '000002'] + [f'photo_{p}' for p in PHOTOS]
    pictures = out / 'pictures'
    assert sorted(p.stem for p in pictures.glob('*.png')) == sorted(names)
    for name in names:
        row = _read_png(pictures / f'{name}.png')
        panel = _read_png(pictures / 'ground_truth' / f'{name}.png')
        assert row.shape[0] == panel.shape[0] and row.shape[1] == 4 * panel.shape[1] + 3 * 6
        for stage in ('free_mask', 'freesolo_round_1', 'freesolo_round_2'):
            assert _read_png(pictures / stage / f'{name}.png').shape == panel.shape
    assert (out / 'work' / 'summary.png').exists()
    assert (out / 'photos' / 'astronaut.png').exists()


# 16 scenes, 30 iterations a run, 6 of pretraining; every cut loose enough for each round to have
# labels: the plumbing is tested here, the learning by test_freesolo_end_to_end.py
DEMO_TEST_CONFIG = f"""
_base_ = '{REPO}/configs/demo/freesolo_demo_cpu.py'
short = dict(train_cfg=dict(max_iters=30, val_interval=30),
             default_hooks=dict(checkpoint=dict(interval=30, max_keep_ckpts=1)))
loose = dict(train_dataloader=dict(dataset=dict(min_score=0.0)),
             model=dict(test_cfg=dict(score_thr=0.005, filter_thr=0.0)),
             custom_hooks=[dict(type='SelfTrainingHook', score_thr=0.0, max_per_img=20)])
demo = dict(
    num_train=16, num_val=4, num_pictures=1, photos=False,
    supervised=dict(cfg_options=short),
    comparisons=[
        dict(title='ResNet-18, random weights',
             free_mask='{REPO}/configs/free_mask/freemask_r18_densecl_scenes_cpu.py',
             checkpoint=None, seed=0),
        dict(title='ImageNet MobileNetV2, supervised',
             self_training='{REPO}/configs/demo/freesolo_demo_mobilenetv2_cpu.py',
             labels='annotations/free_mask_train_mobilenetv2.json',
             cfg_options=dict(short, **loose))])
train_cfg = short['train_cfg']
default_hooks = short['default_hooks']
train_dataloader = loose['train_dataloader']
model = loose['model']
custom_hooks = loose['custom_hooks']
self_training = dict(
    pretrain=dict(cfg_options={{'model.queue_len': 32, 'train_dataloader.batch_size': 4,
                                'train_cfg.max_iters': 6}}))
"""


@pytest.mark.slow
def test_annotation_free_demo_pretrains_and_sets_its_rows_beside_the_others(tmp_path):
    """`make demo`: pretraining on the scenes, its Free Mask and rounds, and in a second process
    beside them rows for the same Free Mask from random weights and for the MobileNetV2's
    pipeline, and the upper bound of the rounds' detector; run again, everything is read
    back."""
    config = tmp_path / 'demo_test.py'
    config.write_text(DEMO_TEST_CONFIG)
    out = tmp_path / 'demo'
    command = ['tools/demo_pipeline.py', '--config', str(config), '--out', str(out)]
    result = run(command, timeout=1500)
    assert_ok(result)
    assert '== pretraining ResNet-18 on' in result.stdout
    assert 'Iter(train)' not in result.stdout, 'pretraining too shows a bar, its lines go to a log'
    log = out / 'work' / 'comparisons.log'
    assert re.search(r'in a second process beside the pipeline, \d+ torch thread\(s\) each; their '
                     rf'progress in {re.escape(str(log))}', result.stdout)
    beside = log.read_text()
    for line in ('== Free Mask, ResNet-18, random weights: Free Mask on the val scenes',
                 '== ImageNet MobileNetV2, supervised: its own self-training',
                 '== supervised upper bound: solov2_r18_gn_scenes_cpu.py'):
        assert line in beside and line not in result.stdout, line

    rows = json.loads((out / 'ap_table.json').read_text())
    assert [row['stage'] for row in rows] == STAGES + [
        'Free Mask, ResNet-18, random weights', 'Free Mask, ImageNet MobileNetV2, supervised',
        'FreeSOLO round 2, ImageNet MobileNetV2, supervised', 'supervised upper bound']
    for row in rows:
        assert 0 <= row['mask AP'] <= 1 and 0 <= row['mask AP50'] <= 1, row
    assert json.loads((out / 'work' / 'comparison_rows.json').read_text()) == rows[3:], \
        'the second process hands its rows over'

    backbone = str(out / 'work' / 'pretrain' / 'backbone.pth')
    scenes = out / 'scenes' / 'annotations'
    own = json.loads((scenes / 'free_mask_train.json').read_text())['info']
    assert own['checkpoint'] == backbone, 'the demo\'s labels come from its pretrained backbone'
    other = json.loads((scenes / 'free_mask_train_mobilenetv2.json').read_text())['info']
    assert 'mobilenet_v2' in other['checkpoint'], 'the comparison labels into a file of its own'
    compare = out / 'work' / 'compare_1'
    assert json.loads((compare / 'round_2' / 'val_metrics.json').read_text())['segm_mAP'] == \
        rows[5]['mask AP']
    random_labels = json.loads((out / 'work' / 'compare_0' / 'val_labels.json').read_text())
    assert random_labels['info']['checkpoint'] is None
    assert rows[3]['mask AP50'] != rows[0]['mask AP50'], 'other weights, other masks'

    # the rounds' detector and its bound start from random weights, as configured
    (trained, ) = (out / 'work' / 'supervised').glob('solov2_r18_gn_scenes_cpu.py')
    assert Config.fromfile(str(trained)).model.backbone.init_cfg is None
    (round_1, ) = (out / 'work' / 'round_1').glob('*.py')
    assert Config.fromfile(str(round_1)).model.backbone.init_cfg is None

    again = run(command, timeout=600)
    assert_ok(again)
    assert '== pretraining' not in again.stdout and 'task/s' not in again.stdout.split(
        '== drawing')[0], 'every stage and row is read back'
    assert json.loads((out / 'ap_table.json').read_text()) == rows


def test_annotation_free_demo_keeps_the_pretraining_configs_hooks():
    """The demo replaces the pretraining's hook list to add its progress bar (mmengine replaces
    lists): every hook the pretraining config names must still be in it."""
    demo = Config.fromfile(str(REPO / 'configs' / 'demo' / 'freesolo_demo_cpu.py'))
    pretraining = Config.fromfile(demo.self_training.pretrain.config)
    ours = [hook['type'].split('.')[-1]
            for hook in demo.self_training.pretrain.cfg_options.custom_hooks]
    assert ours == [hook['type'] for hook in pretraining.custom_hooks] + ['TrainingProgressHook']
