"""End to end: the real command lines train, resume and evaluate on generated scenes."""
import json
import pickle
import re
import shutil
from pathlib import Path

import cv2
import pycocotools.mask as mask_utils
import pytest
import torch
from mmengine.config import Config

import mmfreesolo  # noqa: F401  allow-lists mmengine checkpoint types for torch.load
from conftest import CPU_CONFIG, REPO, assert_ok, assert_one_line_error, run, scenes_env
from mmfreesolo.cli import demo as demo_cli
from mmfreesolo.cli import evaluate as evaluate_cli
from mmfreesolo.cli import predict as predict_cli
from mmfreesolo.cli import test as test_cli
from mmfreesolo.cli import train as train_cli

# one worker runs the module, so the training its tests share is made once
pytestmark = pytest.mark.xdist_group('test_train_test')

MMDET_TOOLS = Path(__import__('mmdet').__file__).parent / '.mim' / 'tools'
FEW_ITERS = ['train_cfg.max_iters=4', 'train_cfg.val_interval=4',
             'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
             'randomness.seed=0']


@pytest.fixture(scope='module')
def trained(scenes, tmp_path_factory) -> Path:
    """4 iterations of the CPU config, checkpoints at 2 and 4, validated at the end."""
    work_dir = tmp_path_factory.mktemp('train')
    result = run(['tools/train.py', CPU_CONFIG, '--work-dir', str(work_dir),
                  '--cfg-options'] + FEW_ITERS, env=scenes_env(scenes))
    assert_ok(result)
    return work_dir


def _scalars(work_dir: Path):
    """The json lines mmengine logs (loss per iteration, then validation metrics)."""
    (log, ) = work_dir.glob('*/vis_data/scalars.json')
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_train_saves_checkpoints_and_validates_class_agnostically(trained):
    assert (trained / 'iter_2.pth').exists() and (trained / 'iter_4.pth').exists()
    lines = _scalars(trained)
    assert [line['iter'] for line in lines if 'loss' in line] == [1, 2, 3, 4]
    val = [line for line in lines if 'agnostic/segm_mAP' in line]
    assert len(val) == 1 and 0 <= val[0]['agnostic/segm_mAP'] <= 1
    checkpoint = torch.load(trained / 'iter_4.pth', weights_only=True)
    assert checkpoint['meta']['iter'] == 4
    assert checkpoint['meta']['dataset_meta']['classes'] == ('object', )


def test_resume_continues_from_the_checkpoint(trained, scenes, tmp_path):
    """Resuming at iter 2 ends at iter 4 with the weights of the uninterrupted run."""
    shutil.copy(trained / 'iter_2.pth', tmp_path / 'iter_2.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    result = run(['tools/train.py', CPU_CONFIG, '--work-dir', str(tmp_path), '--resume',
                  '--cfg-options'] + FEW_ITERS, env=scenes_env(scenes))
    assert_ok(result)
    assert 'resumed epoch: 0, iter: 2' in result.stdout + result.stderr
    assert [line['iter'] for line in _scalars(tmp_path) if 'loss' in line] == [3, 4]
    resumed = torch.load(tmp_path / 'iter_4.pth', weights_only=True)
    straight = torch.load(trained / 'iter_4.pth', weights_only=True)
    assert resumed['meta']['iter'] == 4
    for key, value in straight['state_dict'].items():
        torch.testing.assert_close(resumed['state_dict'][key], value, rtol=1e-4, atol=1e-5)


def test_our_test_tool_evaluates_and_dumps(trained, scenes, tmp_path):
    out = tmp_path / 'preds.pkl'
    result = run(['tools/test.py', CPU_CONFIG, str(trained / 'iter_4.pth'), '--work-dir',
                  str(tmp_path), '--out', str(out), '--show-dir', 'painted'],
                 env=scenes_env(scenes))
    assert_ok(result)
    assert re.search(r'agnostic/segm_mAP: \d', result.stdout + result.stderr)
    assert 'class-agnostic segm evaluation' in result.stdout + result.stderr
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 4 and 'pred_instances' in preds[0]
    assert len(list(tmp_path.glob('*/painted/*.png'))) == 4


def test_mmdet_tools_run_our_config(trained, scenes, tmp_path):
    train = run([str(MMDET_TOOLS / 'train.py'), CPU_CONFIG, '--work-dir', str(tmp_path),
                 '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                 'default_hooks.checkpoint.interval=2'], env=scenes_env(scenes))
    assert_ok(train)
    assert (tmp_path / 'iter_2.pth').exists()
    test = run([str(MMDET_TOOLS / 'test.py'), CPU_CONFIG, str(trained / 'iter_4.pth'),
                '--work-dir', str(tmp_path)], env=scenes_env(scenes))
    assert_ok(test)
    assert re.search(r'agnostic/segm_mAP: \d', test.stdout + test.stderr)


def test_demo_tool_draws_a_trained_model(trained, scenes, tmp_path, in_process):
    result = run(['tools/demo.py', str(scenes / 'val' / '000001.png'), '--config', CPU_CONFIG,
                  '--checkpoint', str(trained / 'iter_4.pth'), '--out', str(tmp_path),
                  '--score-thr', '0'], env=scenes_env(scenes))
    assert_ok(result)
    assert 'wrote 1 overlays' in result.stdout
    assert cv2.imread(str(tmp_path / '000001.png')) is not None

    folder = [str(scenes / 'val'), '--config', CPU_CONFIG, '--out', str(tmp_path)]
    missing = in_process(demo_cli.main, folder, env=scenes_env(scenes))
    assert_one_line_error(missing, 'give its --checkpoint')
    other = in_process(demo_cli.main, folder + ['--checkpoint', str(REPO / 'README.md')])
    assert_one_line_error(other, 'not a PyTorch checkpoint')


def test_predict_labels_a_folder_with_a_trained_model(trained, scenes, tmp_path, in_process):
    """tools/predict.py: the model's own predictions, best first, cut at the score and count
    asked for, as a label file that tools/evaluate.py scores; a rerun does nothing; drawn."""
    from mmdet.apis import inference_detector, init_detector

    keep_all = ['--cfg-options', 'model.test_cfg.score_thr=0.0', 'model.test_cfg.filter_thr=0.0']
    cfg = Config.fromfile(CPU_CONFIG)
    cfg.model.test_cfg.update(score_thr=0.0, filter_thr=0.0)
    model = init_detector(cfg, str(trained / 'iter_4.pth'), device='cpu')
    names = sorted(p.name for p in (scenes / 'val').iterdir())
    predicted = {}
    for name in names:
        pred = inference_detector(model, str(scenes / 'val' / name)).pred_instances
        predicted[name] = pred.scores[pred.masks.flatten(1).any(dim=1)].tolist()  # not empty
    every = sorted(score for scores in predicted.values() for score in scores)
    score_thr = every[len(every) // 2]  # the 4-iteration model's scores: half of them kept

    args = [CPU_CONFIG, str(trained / 'iter_4.pth'), '--images', str(scenes / 'val'),
            '--score-thr', repr(score_thr), '--max-per-img', '3', '--chunk-size', '3',
            '--no-progress']
    out = tmp_path / 'preds.json'
    result = in_process(predict_cli.main, args + ['--out', str(out), '--show-dir',
                        str(tmp_path / 'pictures'), '--num-pictures', '2'] + keep_all,
                        env=scenes_env(scenes))
    assert result.returncode == 0, result.stderr[-3000:]
    labels = json.loads(out.read_text())
    assert [img['file_name'] for img in labels['images']] == names
    assert [c['name'] for c in labels['categories']] == ['object']
    assert len(list((tmp_path / 'pictures').glob('*.png'))) == 2
    for img in labels['images']:
        anns = [a for a in labels['annotations'] if a['image_id'] == img['id']]
        expected = sorted((v for v in predicted[img['file_name']] if v >= score_thr),
                          reverse=True)[:3]
        assert [a['score'] for a in anns] == pytest.approx(expected, abs=1e-6), img
        for ann in anns:
            mask = mask_utils.decode(ann['segmentation'])
            ys, xs = mask.nonzero()
            assert ann['bbox'] == [xs.min(), ys.min(), xs.max() + 1 - xs.min(),
                                   ys.max() + 1 - ys.min()]
    assert 0 < len(labels['annotations']) < len(every)

    metrics = in_process(evaluate_cli.main,
                         [str(scenes / 'annotations' / 'instances_val.json'), str(out)])
    assert metrics.returncode == 0 and 'segm' in metrics.stdout
    again = in_process(predict_cli.main, args + ['--out', str(out)] + keep_all,
                       env=scenes_env(scenes))
    assert 'is complete; nothing to do' in again.stdout

    # shards and their merge are the labelling workflow's, tested with Free Mask (test_generate)

    free_mask = in_process(predict_cli.main, [
        str(REPO / 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py'), 'x.pth', '--images',
        str(scenes / 'val'), '--out', str(tmp_path / 'x.json')])
    assert_one_line_error(free_mask, 'is a Free Mask config', 'tools/free_mask.py')


def test_missing_config_is_one_error_line(tmp_path, in_process):
    result = in_process(train_cli.main, [str(tmp_path / 'nope.py')])
    assert_one_line_error(result, 'nope.py: no such config file')
    result = in_process(test_cli.main, [str(tmp_path / 'nope.py'), 'x.pth'])
    assert_one_line_error(result, 'nope.py: no such config file')


def test_checkpoint_of_another_architecture_is_one_error_line(trained, scenes, tmp_path,
                                                              in_process):
    result = in_process(test_cli.main,
                        [CPU_CONFIG, str(trained / 'iter_4.pth'), '--work-dir', str(tmp_path),
                         '--cfg-options', 'model.backbone.depth=34'], env=scenes_env(scenes))
    line = assert_one_line_error(result, 'iter_4.pth does not fit the model of',
                                 'solov2_r18_scenes_cpu.py', 'missing (e.g. backbone.layer1.2')
    assert 'weights are missing' in line


def test_malformed_annotation_file_is_one_error_line(scenes, tmp_path, in_process):
    broken = tmp_path / 'scenes'
    shutil.copytree(scenes, broken)
    ann = broken / 'annotations' / 'instances_train.json'
    ann.write_text(ann.read_text()[:500])
    result = in_process(train_cli.main, [CPU_CONFIG, '--work-dir', str(tmp_path / 'w')],
                        env=scenes_env(broken))
    assert_one_line_error(result, str(ann), 'not valid JSON')
    data = json.loads((scenes / 'annotations' / 'instances_train.json').read_text())
    data['annotations'][3]['image_id'] = 999
    ann.write_text(json.dumps(data))
    result = in_process(train_cli.main, [CPU_CONFIG, '--work-dir', str(tmp_path / 'w')])
    assert_one_line_error(result, 'annotations[3] refers to image_id 999')


def test_missing_or_unsafe_checkpoint_is_one_error_line(scenes, tmp_path, in_process):
    result = in_process(test_cli.main, [CPU_CONFIG, str(tmp_path / 'none.pth')],
                        env=scenes_env(scenes))
    assert_one_line_error(result, 'none.pth: no such checkpoint file')
    unsafe = tmp_path / 'unsafe.pth'
    unsafe.write_bytes(pickle.dumps({'state_dict': {}, 'x': print}))
    result = in_process(test_cli.main, [CPU_CONFIG, str(unsafe)])
    assert_one_line_error(result, 'unsafe.pth')
