# DenseCL on COCO's images with a ResNet-101, the backbone of the release's Free Mask
# (configs/free_mask/freemask_r101_coco.py); the schedule and every other value as
# densecl_r50_coco.py.
_base_ = './densecl_r50_coco.py'
model = dict(backbone=dict(depth=101))
