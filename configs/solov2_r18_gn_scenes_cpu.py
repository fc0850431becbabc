# The supervised upper bound of configs/freesolo_r18_gn_scenes_cpu.py: the same detector (SOLOv2
# on a ResNet-18 with GroupNorm from random weights), schedule, LR and images, trained on the
# scenes' ground-truth masks with mmdet's own SOLOv2 loss.
#
#   python tools/train.py configs/solov2_r18_gn_scenes_cpu.py
_base_ = './solov2_r18_densecl_scenes_cpu.py'

model = dict(
    backbone=dict(norm_cfg=dict(type='GN', num_groups=32, requires_grad=True), init_cfg=None))
