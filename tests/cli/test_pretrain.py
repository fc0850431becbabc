"""tools/pretrain.py on generated scenes: DenseCL through mmpretrain, killed (SIGKILL) and resumed
to the uninterrupted run's weights; its backbone.pth loads strictly into the Free Mask and
FreeSOLO configs; unreadable images skipped and recorded; two gloo processes share the queue."""
import json

import pytest
import torch

from conftest import REPO, assert_ok, assert_one_line_error, free_port, kill_when, run
from mmfreesolo.cli import pretrain as pretrain_cli

# one worker runs the module, so the pretraining its tests share is made once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group('test_pretrain')]

ITERS = 8
TEST_CONFIG = f"""
_base_ = '{REPO}/configs/pretrain/densecl_r18_scenes_cpu.py'
model = dict(queue_len=32)
train_dataloader = dict(batch_size=4)
param_scheduler = [dict(type='CosineAnnealingLR', T_max={ITERS}, by_epoch=False, begin=0,
                        end={ITERS})]
train_cfg = dict(max_iters={ITERS})
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=-1), logger=dict(interval=1))
"""
FREE_MASK_R18 = str(REPO / 'configs/free_mask/freemask_r18_densecl_scenes_cpu.py')
FREESOLO_R18 = str(REPO / 'configs/freesolo_r18_densecl_scenes_cpu.py')


def _weights(path):
    from mmfreesolo.checkpoints import read_state_dict  # with mmengine's types allowed
    return read_state_dict(str(path))


def _pretrain(config, images, work_dir, *extra):
    return ['tools/pretrain.py', str(config), '--images', str(images), '--work-dir',
            str(work_dir), *extra]


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    """An uninterrupted pretraining on 12 scenes and an unreadable file; its work dir."""
    root = tmp_path_factory.mktemp('pretrain')
    assert_ok(run(['tools/generate_scenes.py', str(root / 'scenes'), '--num-train', '12',
                   '--num-val', '2', '--size', '128', '128']))
    (root / 'scenes' / 'train' / 'broken.png').write_bytes(b'\x89PNG cut short')
    config = root / 'pretrain_test.py'
    config.write_text(TEST_CONFIG)
    result = run(_pretrain(config, root / 'scenes' / 'train', root / 'a'))
    assert_ok(result)
    assert f'backbone written to {root / "a" / "backbone.pth"}' in result.stdout
    assert '1 unreadable images skipped' in result.stdout
    return root


def test_killed_and_resumed_pretraining_ends_with_the_uninterrupted_weights(pretrained):
    config, images, work = (pretrained / 'pretrain_test.py', pretrained / 'scenes' / 'train',
                            pretrained / 'b')
    kill_when(_pretrain(config, images, work), {}, pretrained / 'b.log',
              lambda: (work / 'last_checkpoint').exists(), 'after the first checkpoint')
    assert not (work / f'iter_{ITERS}.pth').exists()
    result = run(_pretrain(config, images, work, '--resume'))
    assert_ok(result)
    assert 'resumed epoch: 0, iter: ' in result.stdout + result.stderr
    a, b = _weights(pretrained / 'a' / f'iter_{ITERS}.pth'), _weights(work / f'iter_{ITERS}.pth')
    assert a.keys() == b.keys() and any(k.startswith('encoder_k.') for k in a)
    for key in a:  # the backbone, the momentum encoder and both queues
        assert torch.equal(a[key], b[key]), key
    assert int(a['queue_ptr']) == ITERS * 4 % 32
    backbone_a = _weights(pretrained / 'a' / 'backbone.pth')
    backbone_b = _weights(work / 'backbone.pth')
    for key, value in backbone_a.items():
        assert torch.equal(value, backbone_b[key]), key
    # run again when finished: nothing is trained, the backbone is written from the checkpoint
    result = run(_pretrain(config, images, work, '--resume'))
    assert_ok(result)
    assert 'Iter(train)' not in result.stdout + result.stderr


def test_backbone_loads_strictly_into_free_mask_and_freesolo(pretrained):
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    from mmfreesolo.engine.free_mask_labelling import build_free_mask
    from mmfreesolo.fileio.configs import load_config

    path = pretrained / 'a' / 'backbone.pth'
    saved = _weights(path)
    assert all(k.startswith('backbone.') for k in saved)
    assert not any('encoder_k' in k or 'neck' in k or 'queue' in k for k in saved)
    trained = _weights(pretrained / 'a' / f'iter_{ITERS}.pth')

    free_mask_cfg = load_config(FREE_MASK_R18)
    free_mask_cfg.model.backbone_checkpoint = str(path)
    free_mask = build_free_mask(free_mask_cfg)
    assert torch.equal(free_mask.backbone.layer3[1].conv2.weight,
                       trained['backbone.layer3.1.conv2.weight'])

    freesolo_cfg = load_config(FREESOLO_R18)
    freesolo_cfg.model.backbone.init_cfg.checkpoint = str(path)
    init_default_scope('mmdet')
    freesolo = MODELS.build(freesolo_cfg.model)
    freesolo.init_weights()
    assert torch.equal(freesolo.backbone.layer4[1].conv2.weight,
                       trained['backbone.layer4.1.conv2.weight'])

    # another architecture: one line naming both
    result = run(['tools/free_mask.py', str(REPO / 'configs/free_mask/freemask_r50_coco.py'),
                  '--checkpoint', str(path), '--images', str(pretrained / 'scenes' / 'val'),
                  '--out', str(pretrained / 'wrong.json'), '--check-only'])
    assert_one_line_error(result, 'holds a ResNet-18', 'ResNet-50')


def test_skipped_images_are_recorded(pretrained):
    lines = (pretrained / 'a' / 'skipped_images.jsonl').read_text().splitlines()
    assert [json.loads(line)['file_name'] for line in lines] == ['broken.png']


def test_bad_input_is_one_line(pretrained, tmp_path, in_process):
    (tmp_path / 'empty').mkdir()
    for config, message in ((pretrained / 'pretrain_test.py', 'holds no files'),
                            (FREE_MASK_R18, 'not a pretraining config')):
        command = _pretrain(config, tmp_path / 'empty', tmp_path / 'w')
        assert_one_line_error(in_process(pretrain_cli.main, command[1:]), message)


def test_two_gloo_processes_gather_the_queue(pretrained, tmp_path):
    result = run(['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port',
                  str(free_port())]
                 + _pretrain(pretrained / 'pretrain_test.py', pretrained / 'scenes' / 'train',
                             tmp_path, '--launcher', 'pytorch', '--cfg-options',
                             'train_cfg.max_iters=2'))
    assert_ok(result)
    assert 'Distributed training: True' in result.stdout + result.stderr
    final = _weights(tmp_path / 'iter_2.pth')
    assert int(final['queue_ptr']) == 2 * 4 * 2  # both ranks' keys entered the queue
    assert (tmp_path / 'backbone.pth').exists()
