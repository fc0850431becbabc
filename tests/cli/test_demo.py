"""The demo: tools/demo.py draws Free Mask's instances on any images (a trained model's:
tests/cli/test_train_test.py), and the pipeline of `make demo-annotation-free` (no external
weights; here at a reduced size) writes every artefact, stages in order, and, stopped inside
every stage and run again, ends with the same table, weights and labels. `make demo` runs the
same pipeline code on the MobileNetV2 self-training that the annotation-free demo runs as a
comparison row."""
import json
import re
import signal
from pathlib import Path

import cv2
import pytest
import torch
from mmengine.config import Config

import mmfreesolo  # noqa: F401  mmengine checkpoints' types allowed for torch.load
from conftest import REPO, assert_ok, kill_when, label_content, run, scenes_env

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


# 16 scenes, 10 iterations a run, 4 of pretraining; every cut loose enough for each round to have
# labels: the plumbing is tested here, the learning by test_freesolo_end_to_end.py. Checkpoints
# and label chunks come often enough for a stopped run to have some to continue from.
ITERS = 10
DEMO_TEST_CONFIG = f"""
_base_ = '{REPO}/configs/demo/freesolo_demo_annotation_free_cpu.py'
short = dict(train_cfg=dict(max_iters={ITERS}, val_interval={ITERS}),
             default_hooks=dict(checkpoint=dict(interval={ITERS // 2}, max_keep_ckpts=1)))
loose = dict(train_dataloader=dict(dataset=dict(min_score=0.0)),
             model=dict(test_cfg=dict(score_thr=0.005, filter_thr=0.0)),
             custom_hooks=[dict(type='SelfTrainingHook', score_thr=0.0, max_per_img=20,
                                chunk_size=4)])
demo = dict(
    num_train=16, num_val=4, num_pictures=1, photos=['coffee'],
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
custom_hooks = loose['custom_hooks'] + [dict(type='TrainingProgressHook')]
self_training = dict(
    pretrain=dict(cfg_options={{'model.queue_len': 32, 'train_dataloader.batch_size': 4,
                                'train_cfg.max_iters': 4,
                                'default_hooks.checkpoint.interval': 2}}),
    free_mask=dict(chunk_size=4))
"""


@pytest.mark.slow
def test_annotation_free_demo_pretrains_and_sets_its_rows_beside_the_others(tmp_path):
    """`make demo-annotation-free`: pretraining on the scenes, its Free Mask and rounds, and in a
    second process beside them rows for the same Free Mask from random weights and for the
    MobileNetV2's pipeline, and the upper bound of the rounds' detector; run again, everything
    is read back."""
    config = tmp_path / 'demo_test.py'
    config.write_text(DEMO_TEST_CONFIG)
    out = tmp_path / 'demo'
    command = ['tools/demo_pipeline.py', '--config', str(config), '--out', str(out)]
    # two torch threads, one for each of the demo's processes, whatever the worker's share
    result = run(command, env=dict(OMP_NUM_THREADS='2'), timeout=1500)
    assert_ok(result)
    used = Config.fromfile(str(out / 'config.py'))
    assert used.train_cfg.max_iters == ITERS
    assert used.train_dataloader.dataset.data_root == str(out / 'scenes') + '/'
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
        for metric in ('mask AP', 'mask AP50', 'mask AP75', 'box AP', 'box AP50'):
            if row['stage'] == 'supervised upper bound' and metric.startswith('box'):
                assert row[metric] is None, 'mmdet\'s SOLOv2 predicts no boxes'
            else:
                assert 0 <= row[metric] <= 1, (row['stage'], metric)
    # the MobileNetV2's Free Mask is deterministic and finds objects in 4 scenes; the rounds, 10
    # iterations on 16 scenes, and the 4-step pretraining may find none (the learning is checked
    # by test_freesolo_end_to_end.py)
    assert rows[4]['mask AP50'] > 0.05, rows[4]
    table = (out / 'ap_table.md').read_text().splitlines()
    assert len(table) == 2 + len(rows) and table[2].startswith('| Free Mask |')
    assert f'{rows[2]["mask AP"]:.3f}' in table[4]
    assert table[-1].startswith('| supervised upper bound |') and '| - | - |' in table[-1]
    assert 'class-agnostic AP on the val scenes' in result.stdout and table[-1] in result.stdout
    verdicts = 'improved on|WORSE than|mixed against|no different from'
    for stage in (1, 2):  # each stage of the pipeline says whether it improved on the one before
        assert re.search(rf'{rows[stage]["stage"]} ({verdicts}) '
                         rf'{rows[stage - 1]["stage"]}: mask AP {rows[stage]["mask AP"]:.3f} vs '
                         rf'{rows[stage - 1]["mask AP"]:.3f}', result.stdout), stage
    assert re.search(r'== round 2 of 2', result.stdout), 'progress is shown'
    assert len(re.findall(rf'{ITERS}/{ITERS}, [\d.]+ task/s, elapsed: \d+s, ETA:',
                          result.stdout)) >= 2
    # a quiet console: no library notices, no mmengine INFO lines, no pycocotools index lines
    for noise in ('pkg_resources', 'torch.meshgrid', 'will be deprecated', 'out of bounds',
                  'has been created'):
        assert noise not in result.stdout + result.stderr, noise
    for noise in ('- mmengine - INFO -', 'loading annotations', 'index created',
                  'Loads checkpoint by', 'Did not find last_checkpoint'):
        assert noise not in result.stdout, noise
    for detail in ('Config:', 'Hooks will be executed', 'Iter(train)'):
        assert detail not in result.stdout, f'{detail} goes to the log file only'
        for work in ('round_1', 'supervised'):
            assert any(detail in log.read_text()
                       for log in (out / 'work' / work).glob('*/*.log')), (work, detail)
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

    # the rounds' detector and its bound start from random weights, as configured; the bound
    # is trained and scored in its own work dir with the demo's schedule and seed
    supervised = out / 'work' / 'supervised'
    assert json.loads((supervised / 'val_metrics.json').read_text())['segm_mAP'] == rows[-1][
        'mask AP']
    (trained, ) = supervised.glob('solov2_r18_gn_scenes_cpu.py')
    bound_cfg = Config.fromfile(str(trained))
    assert bound_cfg.model.backbone.init_cfg is None
    assert bound_cfg.train_cfg.max_iters == ITERS and bound_cfg.randomness == used.randomness
    assert bound_cfg.train_dataloader.dataset.ann_file == 'annotations/instances_train.json'
    (round_1, ) = (out / 'work' / 'round_1').glob('*.py')
    assert Config.fromfile(str(round_1)).model.backbone.init_cfg is None

    names = ['000001', 'photo_coffee']
    pictures = out / 'pictures'
    assert sorted(p.stem for p in pictures.glob('*.png')) == sorted(names)
    for name in names:
        row = _read_png(pictures / f'{name}.png')
        panel = _read_png(pictures / 'ground_truth' / f'{name}.png')
        assert row.shape[0] == panel.shape[0] and row.shape[1] == 4 * panel.shape[1] + 3 * 6
        for stage in ('free_mask', 'freesolo_round_1', 'freesolo_round_2'):
            assert _read_png(pictures / stage / f'{name}.png').shape == panel.shape
    assert (out / 'work' / 'summary.png').exists()
    assert (out / 'photos' / 'coffee.png').exists()

    again = run(command, env=dict(OMP_NUM_THREADS='2'), timeout=600)
    assert_ok(again)
    assert '== pretraining' not in again.stdout and 'task/s' not in again.stdout.split(
        '== drawing')[0], 'every stage and row is read back'
    assert json.loads((out / 'ap_table.json').read_text()) == rows

    # stopped inside every stage, by Ctrl-C or SIGKILL, the comparison rows' process with it;
    # run again each time, it ends with the same table
    stopped = tmp_path / 'stopped'
    command[-1] = str(stopped)
    work, log = stopped / 'work', tmp_path / 'stopped.log'
    beside_busy = []

    def stop(sig, ready, what):
        def check():
            if not ready():
                return False
            # the second process hands its rows over when it has trained them all
            beside_busy.append(not (work / 'comparison_rows.json').exists())
            return True
        code = kill_when(command, dict(OMP_NUM_THREADS='2'), log, check, what, sig)
        if sig == signal.SIGINT:
            assert code == 130, log.read_text()[-3000:]
            assert log.read_text().rstrip().endswith(
                'stopped: run the same command again to continue where it stopped')

    stop(signal.SIGINT, lambda: (work / 'pretrain' / 'last_checkpoint').exists(),
         'during pretraining')
    assert not (work / 'pretrain' / 'backbone.pth').exists()
    parts = stopped / 'scenes' / 'annotations' / 'free_mask_train.json.parts'
    stop(signal.SIGKILL, lambda: (parts / 'chunk-000000.json').exists(), 'during Free Mask')
    assert not (parts.parent / 'free_mask_train.json').exists()
    round_1, round_2 = work / 'round_1', work / 'round_2'
    stop(signal.SIGINT, lambda: (round_1 / 'last_checkpoint').exists(), 'during round 1')
    assert not (round_1 / f'iter_{ITERS}.pth').exists()
    labels = round_1 / 'self_training_labels.json'
    stop(signal.SIGKILL, lambda: (Path(f'{labels}.parts') / 'chunk-000000.json').exists(),
         'during the labelling for round 2')
    assert not (round_1 / 'self_training_labels.manifest.json').exists()
    stop(signal.SIGKILL, lambda: (round_2 / 'last_checkpoint').exists(), 'during round 2')
    assert not (round_2 / f'iter_{ITERS}.pth').exists()
    assert all(beside_busy), 'each stop landed in the comparison rows too'
    resumed = run(command, env=dict(OMP_NUM_THREADS='2'), timeout=1500)
    assert_ok(resumed)
    logs = {stage: ''.join(f.read_text() for f in (work / stage).glob('*/*.log'))
            for stage in ('pretrain', 'round_1', 'round_2')}
    assert 'resumed epoch: 0, iter: ' in logs['pretrain'], 'pretraining continued'
    for stage in ('round_1', 'round_2'):
        assert f'Advance dataloader {ITERS // 2} steps' in logs[stage], f'{stage} continued'
    assert json.loads((stopped / 'ap_table.json').read_text()) == rows
    # nothing lost or done twice: the same weights and labels as the uninterrupted run
    for trained in ['pretrain/backbone.pth'] + [
            f'{run_dir}/iter_{ITERS}.pth' for run_dir in (
                'round_1', 'round_2', 'compare_1/round_2', 'supervised')]:
        _assert_same_weights(out / 'work' / trained, work / trained)
    for made in ('scenes/annotations/free_mask_train.json',
                 'work/round_1/self_training_labels.json'):
        assert label_content(out / made) == label_content(stopped / made), made


def _assert_same_weights(a, b):
    wa, wb = (torch.load(p, map_location='cpu', weights_only=True) for p in (a, b))
    wa, wb = wa.get('state_dict', wa), wb.get('state_dict', wb)
    assert wa.keys() == wb.keys(), (a, b)
    for key in wa:
        assert torch.equal(wa[key], wb[key]), (b, key)


def test_annotation_free_demo_keeps_the_pretraining_configs_hooks():
    """The demo replaces the pretraining's hook list to add its progress bar (mmengine replaces
    lists): every hook the pretraining config names must still be in it."""
    demo = Config.fromfile(str(REPO / 'configs' / 'demo' / 'freesolo_demo_annotation_free_cpu.py'))
    pretraining = Config.fromfile(demo.self_training.pretrain.config)
    ours = [hook['type'].split('.')[-1]
            for hook in demo.self_training.pretrain.cfg_options.custom_hooks]
    assert ours == [hook['type'] for hook in pretraining.custom_hooks] + ['TrainingProgressHook']
