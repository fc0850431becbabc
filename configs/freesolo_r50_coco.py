# FreeSOLO on COCO, the authors' release recipe point by point (docs/coco.md; every value and
# where the release has it: tests/test_coco_configs.py). SOLOv2 R50-FPN trained on Free Mask's
# labels of train2017 with the weak mask losses; 8 GPUs x 2 images, 30k iterations.
#   bash tools/dist_train.sh configs/freesolo_r50_coco.py 8
#   python tools/test.py configs/freesolo_r50_coco.py work_dirs/freesolo_r50_coco/iter_30000.pth
_base_ = 'mmdet::solov2/solov2_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['mmfreesolo'], allow_failed_imports=False)

data_root = 'data/coco/'
pseudo_labels = 'free_mask/train2017_r50.json'
# DenseCL's released ImageNet ResNet-50 (200 epochs); any torchvision-style ResNet-50 loads
backbone_checkpoint = 'checkpoints/densecl_r50_imagenet_200ep.pth'

model = dict(
    # the strong views made on the device from the weak ones, then copy-paste into them
    data_preprocessor=dict(
        type='FreeSOLODataPreprocessor', mask_stride=4,
        strong_view=dict(stages=[
            dict(transforms=[
                dict(type='RandomApply', p=0.8, transforms=[
                    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
                         hue=0.1)]),
                dict(type='RandomGrayscale', p=0.2),
                dict(type='RandomApply', p=0.5, transforms=[
                    dict(type='GaussianBlur', kernel_size=13, sigma=(0.1, 2.0))])]),
            dict(normalize=dict(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
                 transforms=[
                     dict(type='RandomErasing', p=0.7, scale=(0.05, 0.2), ratio=(0.3, 3.3),
                          value='random'),
                     dict(type='RandomErasing', p=0.5, scale=(0.02, 0.2), ratio=(0.1, 6.0),
                          value='random'),
                     dict(type='RandomErasing', p=0.3, scale=(0.02, 0.2), ratio=(0.05, 8.0),
                          value='random')])]),
        copy_paste=dict(max_cover=0.5)),
    backbone=dict(
        frozen_stages=-1,  # every stage trains (the release's FREEZE_AT 0)
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,  # frozen BN
        init_cfg=dict(type='BackboneCheckpoint', checkpoint=backbone_checkpoint)),
    mask_head=dict(
        type='FreeSOLOHead',
        num_classes=1,
        loss_mask=dict(type='ProjectionDiceLoss', mode='max', loss_weight=1.0),
        loss_mask_avg=dict(type='ProjectionDiceLoss', mode='mean', loss_weight=0.1),
        loss_pairwise=dict(
            type='PairwiseAffinityLoss', kernel_size=3, dilation=2, color_thr=0.3,
            warmup_iters=1000, loss_weight=1.0),
        pairwise_ignore_bottom=10,  # rows of the original image, scaled per image
        loss_reduction='level'))

# the weak view: multi-scale and flipped, as mmdet's SOLOv2 ms-3x
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize',
         scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768),
                 (1333, 800)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    dataset=dict(
        type='FreeMaskLabelDataset',
        ann_file=pseudo_labels,
        data_prefix=dict(img='train2017/'),
        pipeline=train_pipeline))
val_evaluator = dict(type='ClassAgnosticCocoMetric',
                     metric=['segm', 'bbox'])  # FreeSOLOHead predicts boxes from masks
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(lr=0.001),
    clip_grad=None,  # mmdet's SOLOv2 clips at 35; the release does not clip
    paramwise_cfg=dict(norm_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=1000),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=30000, val_interval=5000)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2500, max_keep_ckpts=3))
# stops a run whose masks collapse to empty or to whole images, instead of training on for days
custom_hooks = [dict(type='MaskCollapseHook', margin=0.01, patience=100)]
log_processor = dict(by_epoch=False)
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True,
                         broadcast_buffers=False)

# tools/self_train.py: Free Mask's labels when missing, then rounds, each restarting from DenseCL
self_training = dict(
    free_mask=dict(
        config='{{fileDirname}}/free_mask/freemask_r50_coco.py',
        ann_file=data_root + 'annotations/instances_train2017.json',
        img_root=data_root + 'train2017/',
        batch_size=4,
        workers=4),
    init='config',
    later_rounds_dataset=dict(min_score=0.0))
