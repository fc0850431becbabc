# DenseCL on the generated scenes' train images, sized for a CPU: the self-supervised backbone of
# the annotation-free demo (no external weights at all).
#
#   python tools/generate_scenes.py data/scenes --num-train 256 --num-val 48
#   python tools/pretrain.py configs/pretrain/densecl_r18_scenes_cpu.py \
#       --work-dir work_dirs/densecl_r18_scenes
#
# 400 iterations keep the demo's pretraining at minutes; Free Mask's AP from it still rises at
# 400 (docs/benchmarks.md, "DenseCL pretraining on the scenes").
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
