# The demo of `make demo-annotation-free` (tools/demo_pipeline.py), with no external weights and
# no labels: a ResNet-18 pretrained by DenseCL on the train scenes, Free Mask from its features,
# FreeSOLO rounds 1 and 2 on a ResNet-18 with GroupNorm from random weights; beside them, scored
# on the same val scenes, Free Mask from the same ResNet-18 with random weights, Free Mask and
# round 2 of the ImageNet MobileNetV2 (`make demo`'s pipeline), and the supervised upper bound of
# the rounds' detector (docs/demo.md).
_base_ = '../freesolo_r18_gn_scenes_cpu.py'

progress = dict(runner_type='StageLogRunner', custom_hooks=[dict(type='TrainingProgressHook')])
demo = dict(
    num_train=256, num_val=48, num_pictures=4, photos=True,
    # the rows below train in a second process beside the pipeline, each process with half of
    # torch's threads: on 2 cores the demo takes 0.8x the time (docs/benchmarks.md, "The demo")
    parallel=True,
    supervised=dict(config='{{fileDirname}}/../solov2_r18_gn_scenes_cpu.py',
                    cfg_options=progress),
    comparisons=[
        dict(title='ResNet-18, random weights',
             free_mask='{{fileDirname}}/../free_mask/freemask_r18_densecl_scenes_cpu.py',
             checkpoint=None, seed=0),
        dict(title='ImageNet MobileNetV2, supervised',
             self_training='{{fileDirname}}/freesolo_demo_mobilenetv2_cpu.py',
             labels='annotations/free_mask_train_mobilenetv2.json'),
    ])
# The pretraining's Runner works in mmpretrain's scope, so these two are named with mmdet's; the
# list replaces the pretraining config's, whose hooks it restates (a test checks they match).
self_training = dict(pretrain=dict(cfg_options=dict(
    runner_type='mmdet.StageLogRunner',
    custom_hooks=[dict(type='TorchRandomStateHook'),  # the pretraining config's
                  dict(type='mmdet.TrainingProgressHook')])))
runner_type = 'StageLogRunner'
custom_hooks = [dict(type='MaskCollapseHook', margin=0.01, patience=100),  # the base's
                dict(type='TrainingProgressHook')]
