# Free Mask with DenseCL ResNet-101: the authors' release setting, whose labels trained the
# published model.
_base_ = './freemask_r50_coco.py'

model = dict(
    backbone=dict(depth=101),
    backbone_checkpoint='checkpoints/densecl_r101_imagenet_200ep.pth')
