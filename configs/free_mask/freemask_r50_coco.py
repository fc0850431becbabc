# Free Mask with a self-supervised DenseCL ResNet-50 (the paper's ablation setting) on COCO.
# Every value is the authors' release default (docs/method.md). Labels of the train images:
#   python tools/free_mask.py configs/free_mask/freemask_r50_coco.py \
#       --ann-file data/coco/annotations/instances_train2017.json \
#       --img-root data/coco/train2017 --out data/coco/free_mask/train2017_r50.json
# Free Mask scored on val2017 (the checkpoint from tools/convert_checkpoint.py):
#   python tools/test.py configs/free_mask/freemask_r50_coco.py checkpoints/freemask_densecl_r50.pth
_base_ = [
    'mmdet::_base_/datasets/coco_instance.py', 'mmdet::_base_/default_runtime.py'
]
custom_imports = dict(imports=['mmfreesolo'], allow_failed_imports=False)

model = dict(
    type='FreeMask',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),  # res5: stride 32, 2048 channels
        frozen_stages=4,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=None),
    # DenseCL's released ImageNet ResNet-50; any torchvision-style ResNet checkpoint loads
    backbone_checkpoint='checkpoints/densecl_r50_imagenet_200ep.pth',
    feature_index=-1,
    query_scales=(1.0, 0.5, 0.25),
    mask_thr=0.5,
    min_cells=2,
    nms_kernel='gaussian',
    nms_sigma=2.0,
    max_per_img=20,
    min_center_y=0.2,
    max_width_ratio=0.95,
    score_thr=0.7,
    emb_dim=0,  # the release writes 128-d embeddings for a loss it multiplies by zero
    upsampling='stretch',  # the valid cell grid resized straight to the image
    filters='release',  # mean occupied row > 0.2 H, occupied columns < 0.95 W
    pad_inputs=False)  # each image's backbone pass sees only its own pixels, as in the release

# tools/free_mask.py reads images itself (so that bad files are skipped, not fatal) and applies
# this pipeline without its loading steps.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_cfg = dict(type='TestLoop')
test_evaluator = dict(
    _delete_=True,
    type='ClassAgnosticCocoMetric',
    ann_file='data/coco/annotations/instances_val2017.json',
    metric=['segm', 'bbox'])

# Free Mask is not trained.
train_dataloader = None
train_cfg = None
optim_wrapper = None
val_dataloader = None
val_cfg = None
val_evaluator = None
