# Free Mask on generated scenes from a ResNet-18 pretrained by DenseCL on the scenes themselves
# (configs/pretrain/densecl_r18_scenes_cpu.py): no external weights, no labels.
#
#   python tools/free_mask.py configs/free_mask/freemask_r18_densecl_scenes_cpu.py \
#       --checkpoint work_dirs/densecl_r18_scenes/backbone.pth \
#       --images data/scenes/train --out data/scenes/annotations/free_mask_train.json
#
# tools/self_train.py with configs/freesolo_r18_densecl_scenes_cpu.py pretrains first and passes
# the backbone itself. Input size, score threshold and filters as the MobileNetV2 config. It reads
# the third stage (stride 16), not the fourth that DenseCL's loss sees: the fourth's masks score
# a small fraction of the third's (docs/benchmarks.md, "DenseCL pretraining on the scenes").
# split_components: these features follow colour, so one query lights up every object of its
# colour; split, each piece is a mask of its own (the same section; the MobileNetV2's masks lose).
_base_ = './freemask_mobilenetv2_scenes_cpu.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        num_stages=3,  # Free Mask reads the third stage: the fourth is not computed
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(2, ),  # stride 16, 256 channels
        frozen_stages=3,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=None),
    backbone_checkpoint='{{$MMFREESOLO_PRETRAINED:work_dirs/densecl_r18_scenes/backbone.pth}}',
    split_components=True,
    nms_pre=1000)  # Matrix NMS costs the square of the pieces: only the best 1000 go to it
