# FreeSOLO with ResNet-101 (the release's main model, 4.3 mask AP / 9.4 mask AP50 on COCO val2017
# class-agnostically), on Free Mask labels made with the ResNet-101 Free Mask config.
_base_ = './freesolo_r50_coco.py'

pseudo_labels = 'free_mask/train2017_r101.json'
backbone_checkpoint = 'checkpoints/densecl_r101_imagenet_200ep.pth'
model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='BackboneCheckpoint', checkpoint=backbone_checkpoint)))
train_dataloader = dict(dataset=dict(ann_file=pseudo_labels))
self_training = dict(free_mask=dict(config='{{fileDirname}}/free_mask/freemask_r101_coco.py'))
