# DenseCL (Wang et al., "Dense Contrastive Learning for Self-Supervised Visual Pre-Training",
# CVPR 2021) on COCO's images, their labels unused: the self-supervised backbone Free Mask
# starts from, made here instead of downloaded.
#
#   python tools/pretrain.py configs/pretrain/densecl_r50_coco.py --work-dir work_dirs/densecl_r50
#   bash slurm/pretrain.sh configs/pretrain/densecl_r50_coco.py --work-dir work_dirs/densecl_r50
# then work_dirs/densecl_r50/backbone.pth is what configs/free_mask/freemask_r50_coco.py loads
# (--cfg-options model.backbone_checkpoint=work_dirs/densecl_r50/backbone.pth).
#
# mmpretrain's DenseCL config (model, neck, head, two-view augmentations: MoCo v2's) with the
# paper's COCO schedule. Values, and where they come from:
#   ResNet-50, DenseCL neck 2048-2048-128, temperature 0.2    mmpretrain = paper
#   queue 65536, momentum encoder 0.999 (mmpretrain writes the EMA step, 0.001), loss lambda 0.5
#                                                               mmpretrain = paper
#   SGD momentum 0.9, weight decay 1e-4, cosine decay          mmpretrain = paper
#   lr 0.3 at batch 256 (8 GPUs x 32), 800 epochs on COCO train2017 (about 370k iterations)
#                                                               paper's COCO setting, as the
#     issue that asked for this config states it; mmpretrain's ImageNet config has 0.03 and 200
#     epochs. The paper's text could not be re-read offline here: check it before a real run.
#   auto_scale_lr base 256: `tools/pretrain.py --cfg-options auto_scale_lr.enable=True` scales lr
#     with the total batch (mmengine: lr x batch / 256)
_base_ = 'mmpretrain::densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py'
custom_imports = dict(imports=['mmfreesolo.pretraining'], allow_failed_imports=False)

# UnlabeledImages decodes the images itself (an unreadable file is skipped and recorded, not
# fatal), so the pipeline starts after loading: two views of each image.
view_pipeline = {{_base_.view_pipeline}}
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    # mmengine's config parser tags this dict with the base's scope, a key default_collate
    # refuses
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(
        _delete_=True,
        type='UnlabeledImages',
        ann_file='data/coco/annotations/instances_train2017.json',
        img_root='data/coco/train2017/',
        pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(lr=0.3))
max_epochs = 800
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3, save_last=True))
# DenseCL shuffles each key batch with torch's global generator: saved with every checkpoint, so
# that a resumed run continues as the uninterrupted one
custom_hooks = [dict(type='TorchRandomStateHook')]
