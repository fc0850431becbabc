# FreeSOLO on generated scenes with no external weights and no labels, the rounds' detector
# trained from random weights: Free Mask reads a ResNet-18 pretrained by DenseCL on the train
# scenes (as configs/freesolo_r18_densecl_scenes_cpu.py), and the rounds train a ResNet-18 with
# GroupNorm from scratch (GN where batches are small, as He et al.'s "Rethinking ImageNet
# Pre-training" trains detectors from scratch): on the scenes it trained better rounds than the
# short DenseCL pretraining (docs/benchmarks.md, "The annotation-free recipe").
#   python tools/self_train.py configs/freesolo_r18_gn_scenes_cpu.py --work-dir work_dirs/st
_base_ = './freesolo_r18_densecl_scenes_cpu.py'

model = dict(
    backbone=dict(norm_cfg=dict(type='GN', num_groups=32, requires_grad=True), init_cfg=None),
    # the weak mask terms averaged over all positives (SOLOv2's reduction), not per FPN level:
    # on 128-px scenes per level the second level's few objects of 48 px and more weigh as much
    # as all the others
    mask_head=dict(loss_reduction='positive'),
    # each predicted mask cut to its largest piece: these colour-driven features also light up
    # other regions of the object's colour
    test_cfg=dict(largest_piece=True))
# Round 1 ignores (leaves out of the category loss, rather than training as background) Free
# Mask's labels from 0.5 up to min_score 0.75, those under 200 px (a few cells wide at stride 4)
# and those over 3000 px (18 % of a scene, mostly background: they taught masks that spread over
# several objects). Later rounds ignore nothing. Why each value: docs/benchmarks.md, "The
# annotation-free recipe".
train_dataloader = dict(
    dataset=dict(ignore_score=0.5, ignore_area=200, ignore_image_fraction=3000 / 128**2))
self_training = dict(
    pretrain=dict(init_rounds=False),  # the pretrained ResNet-18 feeds Free Mask only
    later_rounds_dataset=dict(ignore_area=0, ignore_image_fraction=1.0))
