# The supervised upper bound of configs/freesolo_r18_densecl_scenes_cpu.py: the same detector
# (SOLOv2 on the ResNet-18 pretrained by DenseCL on the scenes), schedule, LR and images, trained
# on the scenes' ground-truth masks with mmdet's own SOLOv2 loss.
#
#   MMFREESOLO_PRETRAINED=work_dirs/st/pretrain/backbone.pth \
#       python tools/train.py configs/solov2_r18_densecl_scenes_cpu.py
#
# Seed 0, the backbone of the seed-0 pretraining (256 / 48 scenes, 1000 iterations, one thread):
# val mask AP / AP50 / AR@100 0.144 / 0.380 / 0.266 (the MobileNetV2 bound: 0.266 median); the
# FreeSOLO rounds from this backbone reached 0.025 (see the FreeSOLO config). With the halved
# grids and the cosine tail now inherited (2026-12-04, seed 0, one pretraining): frozen stem,
# stage 1 and BN 0.138 / 0.383; trained whole, BN too (this config) 0.183 / 0.438.
_base_ = './solov2_mobilenetv2_scenes_cpu.py'

pretrained = '{{$MMFREESOLO_PRETRAINED:work_dirs/densecl_r18_scenes/backbone.pth}}'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        # trained whole, BN too, as the FreeSOLO config's backbone (its comment has why)
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='BackboneCheckpoint', checkpoint=pretrained)),
    neck=dict(in_channels=[64, 128, 256, 512]))
