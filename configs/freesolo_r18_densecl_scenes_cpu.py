# FreeSOLO on generated scenes with no external weights and no labels: a ResNet-18 pretrained by
# DenseCL on the train scenes, Free Mask from its features, then the rounds from that backbone.
#   python tools/self_train.py configs/freesolo_r18_densecl_scenes_cpu.py --work-dir work_dirs/st
# pretrains (work_dirs/st/pretrain/backbone.pth), runs Free Mask, then trains the rounds; trained
# alone (tools/train.py), the backbone comes from MMFREESOLO_PRETRAINED. Detector, losses and
# schedule are the MobileNetV2 config's; its rounds do not yet beat their labels
# (docs/benchmarks.md, "The annotation-free recipe").
_base_ = './freesolo_mobilenetv2_scenes_cpu.py'

pretrained = '{{$MMFREESOLO_PRETRAINED:work_dirs/densecl_r18_scenes/backbone.pth}}'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),  # strides 4, 8, 16, 32
        # trained whole, BN too, as DenseCL's detection transfer (the release freezes BN)
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='BackboneCheckpoint', checkpoint=pretrained)),
    neck=dict(in_channels=[64, 128, 256, 512]))

# this Free Mask's pieces are mostly background below 0.75 (benchmarks/free_mask_label_quality.py;
# docs/benchmarks.md, "The annotation-free recipe")
train_dataloader = dict(dataset=dict(min_score=0.75))

self_training = dict(
    pretrain=dict(config='{{fileDirname}}/pretrain/densecl_r18_scenes_cpu.py'),
    free_mask=dict(config='{{fileDirname}}/free_mask/freemask_r18_densecl_scenes_cpu.py'))
