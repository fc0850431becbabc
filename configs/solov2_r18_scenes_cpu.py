# Supervised SOLOv2 (mmdet's, unchanged) on generated scenes, sized for a CPU: ResNet-18 from
# scratch (no weights can be fetched offline), 128 px images, one class "object".
# The supervised baseline that FreeSOLO's CPU configs are compared with, and the config the
# foundation's tests train, resume and evaluate.
#
# Data: `python tools/generate_scenes.py data/scenes`; another folder through the environment
# variable MMFREESOLO_SCENES (read by mmengine when the config is loaded).
_base_ = 'mmdet::solov2/solov2_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['mmfreesolo'], allow_failed_imports=False)

data_root = '{{$MMFREESOLO_SCENES:data/scenes/}}'
metainfo = dict(classes=('object', ), palette=[(220, 20, 60)])
image_scale = (128, 128)

model = dict(
    backbone=dict(depth=18, frozen_stages=-1, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64),
    mask_head=dict(
        num_classes=1,
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        # half of COCO's grids (40, 36, 24, 16, 12), which are sized for 800-px images: on 128 px
        # their cells, where every scene object falls, would be 3-4 px wide
        num_grids=[20, 18, 12, 8, 6],
        mask_feature_head=dict(
            feat_channels=32,
            out_channels=64,
            norm_cfg=dict(type='GN', num_groups=16, requires_grad=True))),
    test_cfg=dict(nms_pre=200, max_per_img=50))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
# Worker processes cost more than they save on 2 cores and tiny images. An iteration-based
# schedule samples without epochs, as mmdet's iteration-based configs: at every epoch's end
# mmengine's loop would sleep 2 s (a guard for worker processes), 1 s per iteration on 8 images.
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='ClassAgnosticCocoMetric',
    ann_file=data_root + 'annotations/instances_val.json',
    metric=['segm'])  # mmdet's SOLOv2 predicts no boxes
test_evaluator = val_evaluator

train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=300, val_interval=300)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30)]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
