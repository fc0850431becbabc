# FreeSOLO on a folder of your own images at CPU scale (the demo's model: the offline ImageNet
# MobileNetV2, 128 px training), without validation. The folder comes from MMFREESOLO_DATA:
#
#   $MMFREESOLO_DATA/images/...             your images
#   $MMFREESOLO_DATA/free_mask_labels.json  written by Free Mask (tools/self_train.py makes it)
#
#   MMFREESOLO_DATA=data/my_images/ python tools/self_train.py \
#       configs/freesolo_mobilenetv2_image_folder_cpu.py --rounds 2 --work-dir work_dirs/mine_cpu
_base_ = './freesolo_mobilenetv2_scenes_cpu.py'

data_root = '{{$MMFREESOLO_DATA:data/my_images/}}'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file='free_mask_labels.json', data_prefix=dict(img='images/')))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
self_training = dict(free_mask=dict(images=data_root + 'images/'))
