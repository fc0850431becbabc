# DenseCL on the generated scenes' train images, sized for a CPU: the self-supervised backbone of
# the annotation-free demo (no external weights at all).
#
#   python tools/generate_scenes.py data/scenes --num-train 256 --num-val 48
#   python tools/pretrain.py configs/pretrain/densecl_r18_scenes_cpu.py \
#       --work-dir work_dirs/densecl_r18_scenes
#
# Measured with benchmarks/densecl_pretraining.py --seeds 0 1 2 --iters 400 --eval-every 100
# --stages 2 3 (256 train scenes, Free Mask on the 48 val scenes; mask AP / AP50 / AR@100,
# median (min-max) over pretraining seeds; 7.4-8.7 min per seed at one thread):
#   ImageNet MobileNetV2 (supervised):             0.057 / 0.181 / 0.090
#   ResNet-18, random weights, stride 16:          0.049 (0.048-0.056) / 0.125 / 0.064
#   this config, checkpoints of its 400 iterations, Free Mask from stride 16:
#     100: 0.081 (0.081-0.083) / 0.182 / 0.114     200: 0.089 (0.083-0.111) / 0.208 / 0.115
#     300: 0.104 (0.103-0.123) / 0.231 / 0.132     400: 0.113 (0.106-0.126) / 0.259 / 0.142
#   the same, Free Mask from stride 32 (the stage the dense loss trains): 0.016 (0.012-0.016)
# AP still rises at 400 iterations; 400 keep the demo's pretraining at minutes.
_base_ = './densecl_r50_coco.py'

data_root = '{{$MMFREESOLO_SCENES:data/scenes/}}'
crop = 128

model = dict(
    queue_len=1024,  # a multiple of the total batch; the scenes are few
    momentum=0.01,  # EMA step: a momentum encoder of 0.99, for a schedule of hundreds of steps
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512))

# Colour is what separates the scenes' objects: no colour jitter and no grayscale (with them,
# Free Mask's features got worse than random weights).
view_pipeline = [
    dict(type='RandomResizedCrop', scale=crop, crop_ratio_range=(0.2, 1.), backend='pillow'),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='UnlabeledImages',
        images=data_root + 'train/',
        pipeline=[
            dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
            dict(type='PackInputs'),
        ]))

max_iters = 400
optim_wrapper = dict(optimizer=dict(lr=0.03))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False, begin=0, end=max_iters)
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=25, max_keep_ckpts=2, save_last=True))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, deterministic=True)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
