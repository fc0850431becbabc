"""``self_training.pretrain.init_rounds``: the pretrained backbone starts Free Mask and the
rounds (the default), or Free Mask alone, the rounds' backbone then initialised as configured,
another architecture allowed."""
import pytest
from mmengine.config import Config

from conftest import REPO, scenes_env
from mmfreesolo.engine.self_training import SelfTraining
from mmfreesolo.errors import UserInputError

PRETRAINED = '/somewhere/pretrain/backbone.pth'
R18_PRETRAIN = dict(config=str(REPO / 'configs/pretrain/densecl_r18_scenes_cpu.py'))
R18_FREE_MASK = dict(config=str(REPO / 'configs/free_mask/freemask_r18_densecl_scenes_cpu.py'))


@pytest.fixture
def scenes_in_env(scenes, monkeypatch):
    for name, value in scenes_env(scenes).items():  # the pretraining stage lists the images
        monkeypatch.setenv(name, value)


def _training(config: str, tmp_path, **self_training) -> SelfTraining:
    cfg = Config.fromfile(str(REPO / 'configs' / config))
    cfg.merge_from_dict(dict(self_training=self_training))
    training = SelfTraining(cfg, 2, str(tmp_path))
    training.pretrained = PRETRAINED  # as pretrain_stage() sets it once backbone.pth is there
    return training


def test_the_pretrained_backbone_starts_free_mask_and_the_rounds(scenes_in_env, tmp_path):
    training = _training('freesolo_r18_densecl_scenes_cpu.py', tmp_path)
    assert training.free_mask_config().model.backbone_checkpoint == PRETRAINED
    assert training.rounds_backbone == PRETRAINED  # the demo's supervised bound's too
    assert training.round_config(1, True).model.backbone.init_cfg == dict(
        type='BackboneCheckpoint', checkpoint=PRETRAINED)


def test_free_mask_only_leaves_the_rounds_backbone_as_configured(scenes_in_env, tmp_path):
    # a ResNet-18 pretrained for Free Mask, the rounds' MobileNetV2 from its ImageNet weights
    config = 'freesolo_mobilenetv2_scenes_cpu.py'
    training = _training(config, tmp_path, pretrain=dict(R18_PRETRAIN, init_rounds=False),
                         free_mask=R18_FREE_MASK)
    assert training.free_mask_config().model.backbone_checkpoint == PRETRAINED
    assert training.rounds_backbone is None
    configured = Config.fromfile(str(REPO / 'configs' / config)).model.backbone
    backbone = training.round_config(1, True).model.backbone
    assert backbone.type == 'TorchvisionMobileNetV2'
    assert backbone.checkpoint == configured.checkpoint and 'init_cfg' not in backbone


def test_free_mask_only_from_random_weights_with_group_norm(scenes_in_env, tmp_path):
    training = _training('freesolo_r18_gn_scenes_cpu.py', tmp_path)
    assert training.free_mask_config().model.backbone_checkpoint == PRETRAINED
    backbone = training.round_config(1, True).model.backbone
    assert backbone.init_cfg is None and backbone.norm_cfg.type == 'GN'


def test_rounds_of_another_architecture_need_free_mask_only(scenes_in_env, tmp_path):
    with pytest.raises(UserInputError, match='pretrains a ResNet-18, but .*'
                       'freesolo_mobilenetv2_scenes_cpu.py has a TorchvisionMobileNetV2 backbone'):
        _training('freesolo_mobilenetv2_scenes_cpu.py', tmp_path, pretrain=R18_PRETRAIN,
                  free_mask=R18_FREE_MASK)


def test_init_rounds_is_a_bool(scenes_in_env, tmp_path):
    with pytest.raises(UserInputError, match="init_rounds must be True or False, got 'no'"):
        _training('freesolo_r18_densecl_scenes_cpu.py', tmp_path, pretrain=dict(init_rounds='no'))
