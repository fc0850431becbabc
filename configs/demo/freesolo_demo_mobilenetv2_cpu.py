# The demo of `make demo` (tools/demo_pipeline.py): FreeSOLO's whole pipeline on generated scenes
# at CPU scale from the offline ImageNet MobileNetV2 (supervised features; `make
# demo-annotation-free` pretrains its own by DenseCL, docs/demo.md). Free Mask labels the train
# scenes, two rounds of FreeSOLO train on them; every stage is scored on the val scenes and
# drawn, beside a supervised upper bound trained in a second process.
_base_ = '../freesolo_mobilenetv2_scenes_cpu.py'

demo = dict(
    num_train=256, num_val=48, num_pictures=4, photos=True, parallel=True,
    # the AP table's last row: the same detector, backbone, schedule and seed trained on the
    # scenes' ground-truth masks with SOLOv2's own loss
    supervised=dict(
        config='{{fileDirname}}/../solov2_mobilenetv2_scenes_cpu.py',
        cfg_options=dict(runner_type='StageLogRunner',
                         custom_hooks=[dict(type='TrainingProgressHook')])))
# the console shows one line per stage and a progress bar with its ETA; mmengine's environment,
# config, hook table and iteration lines go to each round's log file (work/round_<r>/<time>/)
runner_type = 'StageLogRunner'
custom_hooks = [dict(type='MaskCollapseHook', margin=0.01, patience=100),  # the base's
                dict(type='TrainingProgressHook')]
