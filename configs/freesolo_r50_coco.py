# FreeSOLO, self-supervised SOLO: SOLOv2 R50-FPN trained on Free Mask pseudo-labels of COCO
# train2017 with the weak mask losses, the authors' release recipe; evaluated class-agnostically
# on val2017. 8 GPUs x 2 images (16; --auto-scale-lr for other batch sizes), 30k iterations.
#
#   python tools/free_mask.py configs/free_mask/freemask_r50_coco.py \
#       --ann-file data/coco/annotations/instances_train2017.json \
#       --img-root data/coco/train2017 --out data/coco/free_mask/train2017_r50.json
#   python tools/train.py configs/freesolo_r50_coco.py --launcher slurm   # or sbatch slurm/...
#   python tools/test.py configs/freesolo_r50_coco.py work_dirs/freesolo_r50_coco/iter_30000.pth
_base_ = 'mmdet::solov2/solov2_r50_fpn_ms-3x_coco.py'
custom_imports = dict(imports=['mmfreesolo'], allow_failed_imports=False)

data_root = 'data/coco/'
pseudo_labels = 'free_mask/train2017_r50.json'
# DenseCL's released ImageNet ResNet-50 (200 epochs); any torchvision-style ResNet-50 loads
backbone_checkpoint = 'checkpoints/densecl_r50_imagenet_200ep.pth'

model = dict(
    data_preprocessor=dict(type='FreeSOLODataPreprocessor', mask_stride=4),
    backbone=dict(
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,  # frozen BN
        init_cfg=dict(type='BackboneCheckpoint', checkpoint=backbone_checkpoint)),
    mask_head=dict(
        type='FreeSOLOHead',
        num_classes=1,
        loss_mask=dict(_delete_=True, type='ProjectionDiceLoss', mode='max', loss_weight=1.0),
        loss_mask_avg=dict(type='ProjectionDiceLoss', mode='mean', loss_weight=0.1),
        loss_pairwise=dict(
            type='PairwiseAffinityLoss', kernel_size=3, dilation=2, color_thr=0.3,
            warmup_iters=1000, loss_weight=1.0),
        pairwise_ignore_bottom=10))

# Each image is seen twice, weak (multi-scale, flip) and strong (colour jitter, grayscale,
# blur, random erasing x3 on the pixels only); both views carry the same pseudo-labels, with
# instances copy-pasted from another image first.
load_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadFreeMaskLabels'),
    dict(type='RandomChoiceResize',
         scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768),
                 (1333, 800)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
]
erase = dict(type='ImageOnly', transforms=[
    dict(type='RandomErasing', n_patches=1, ratio=(0.15, 0.45), squared=False)])
strong_view = [
    dict(type='RandomApply', prob=0.8, transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
    dict(type='RandomGaussianBlur', prob=0.5, sigma=(0.1, 2.0)),
    dict(type='RandomApply', prob=0.7, transforms=[erase]),
    dict(type='RandomApply', prob=0.5, transforms=[erase]),
    dict(type='RandomApply', prob=0.3, transforms=[erase]),
    dict(type='PackFreeSOLOInputs'),
]
train_pipeline = [
    dict(type='FreeSOLOCopyPaste', max_cover=0.5),
    dict(type='MultiBranch', branch_field=['weak', 'strong'],
         weak=dict(type='PackFreeSOLOInputs'), strong=strong_view),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        _delete_=True,
        type='MultiImageMixDataset',
        dataset=dict(
            type='FreeMaskLabelDataset',
            data_root=data_root,
            ann_file=pseudo_labels,
            data_prefix=dict(img='train2017/'),
            pipeline=load_pipeline,
            backend_args={{_base_.backend_args}}),
        pipeline=train_pipeline))
val_evaluator = dict(
    _delete_=True,
    type='ClassAgnosticCocoMetric',
    ann_file=data_root + 'annotations/instances_val2017.json',
    metric=['segm', 'bbox'])  # FreeSOLOHead predicts boxes from masks
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=1000),
]  # then constant
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=30000, val_interval=5000)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2500, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=16)

# tools/self_train.py: Free Mask labels of train2017 (made when `pseudo_labels` is missing), then
# rounds; the model of each round labels train2017 for the next (SelfTrainingHook: score >= 0.3,
# <= 20 per image, not near full width). Every round restarts from DenseCL, as the release.
self_training = dict(
    free_mask=dict(
        config='{{fileDirname}}/free_mask/freemask_r50_coco.py',
        ann_file=data_root + 'annotations/instances_train2017.json',  # its image ids only
        img_root=data_root + 'train2017/',
        batch_size=4,
        workers=4),
    init='config',
    later_rounds_dataset=dict(min_score=0.0))
