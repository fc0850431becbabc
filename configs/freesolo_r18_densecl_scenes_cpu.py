# FreeSOLO on generated scenes with no external weights and no labels: a ResNet-18 pretrained by
# DenseCL on the train scenes, Free Mask from its features, then the rounds.
#
#   python tools/self_train.py configs/freesolo_r18_densecl_scenes_cpu.py --work-dir work_dirs/st
#
# pretrains (work_dirs/st/pretrain/backbone.pth), runs Free Mask, then trains the rounds from that
# backbone. Trained alone (tools/train.py), the backbone comes from MMFREESOLO_PRETRAINED. The
# detector, losses and schedule are the MobileNetV2 config's, and they do not carry over yet:
# benchmarks/freesolo_seeds.py --config this --supervised none --seeds 0 (256 train / 48 val
# scenes, 30 min at one thread), class-agnostic val mask AP / AP50:
#   Free Mask labels (DenseCL ResNet-18, stride 16): 0.106 / 0.231
#   constant LR:  round 1: 0.020 / 0.058      round 2: 0.025 / 0.052
#   cosine tail (the schedule now inherited): round 1 0.032 / 0.093, round 2 0.025 / 0.066
# against 0.089 and 0.132 for the MobileNetV2 config's rounds (median of 3 seeds), all with COCO's
# grids; with the halved grids now inherited, round 1 0.030 / 0.077 (the MobileNetV2's 0.109).
# With a constant LR: the MobileNetV2 config's round 1 on these same labels 0.062 / 0.176 (seed 0;
# 0.102 on its own); the supervised bound (configs/solov2_r18_densecl_scenes_cpu.py, seed 0)
# 0.144 / 0.380.
_base_ = './freesolo_mobilenetv2_scenes_cpu.py'

pretrained = '{{$MMFREESOLO_PRETRAINED:work_dirs/densecl_r18_scenes/backbone.pth}}'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),  # strides 4, 8, 16, 32
        # Trained whole, BN too (DenseCL's detection transfer fine-tunes BN; the release's
        # frozen BN suits ImageNet weights): round 1, seeds 0 / 1, val mask AP / AP50 from
        #   frozen stem, stage 1 and BN: 0.030 / 0.077, 0.035 / 0.078
        #   trained whole:               0.047 / 0.107, 0.043 / 0.091 (LR 0.005: 0.044, seed 0)
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='BackboneCheckpoint', checkpoint=pretrained)),
    neck=dict(in_channels=[64, 128, 256, 512]))

self_training = dict(
    pretrain=dict(config='{{fileDirname}}/pretrain/densecl_r18_scenes_cpu.py'),
    free_mask=dict(config='{{fileDirname}}/free_mask/freemask_r18_densecl_scenes_cpu.py'))
