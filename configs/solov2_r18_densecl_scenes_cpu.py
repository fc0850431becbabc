# The supervised upper bound of configs/freesolo_r18_densecl_scenes_cpu.py: the same detector
# (SOLOv2 on the ResNet-18 pretrained by DenseCL on the scenes), schedule, LR and images, trained
# on the scenes' ground-truth masks with mmdet's own SOLOv2 loss.
#
#   MMFREESOLO_PRETRAINED=work_dirs/st/pretrain/backbone.pth \
#       python tools/train.py configs/solov2_r18_densecl_scenes_cpu.py
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
