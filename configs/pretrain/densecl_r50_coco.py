# DenseCL (Wang et al., CVPR 2021) on COCO's images, their labels unused: the self-supervised
# backbone Free Mask starts from, made here instead of downloaded; WORK_DIR/backbone.pth is what
# configs/free_mask/freemask_r50_coco.py loads (model.backbone_checkpoint).
#   python tools/pretrain.py configs/pretrain/densecl_r50_coco.py --work-dir work_dirs/densecl_r50
# mmpretrain's DenseCL (model, neck, head, MoCo v2's two views; queue 65536, momentum encoder
# 0.999, SGD 0.9 / 1e-4, cosine) with the paper's COCO schedule: lr 0.3 at batch 256, 800 epochs
# (about 370k iterations; mmpretrain's ImageNet config: 0.03, 200 epochs). Check the paper before
# a real run; tests/pretraining/test_pretrain_configs.py holds each value.
_base_ = 'mmpretrain::densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py'
custom_imports = dict(imports=['mmfreesolo.pretraining'], allow_failed_imports=False)

# UnlabeledImages decodes the images itself (an unreadable one is skipped and recorded)
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
