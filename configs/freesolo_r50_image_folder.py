# FreeSOLO on a folder of your own images, no annotations anywhere: the COCO release recipe
# (configs/freesolo_r50_coco.py: DenseCL ResNet-50, SOLOv2, weak mask losses) with the folder as
# its training set and no validation, as there is no ground truth.
#
#   data/my_images/images/...             your images, any layout below
#   data/my_images/free_mask_labels.json  written by Free Mask (tools/self_train.py makes it)
#
#   python tools/self_train.py configs/freesolo_r50_image_folder.py --rounds 2 \
#       --work-dir work_dirs/mine
_base_ = './freesolo_r50_coco.py'

data_root = 'data/my_images/'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file='free_mask_labels.json', data_prefix=dict(img='images/')))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
# Free Mask labels the folder itself (not a json's image list, as for COCO)
self_training = dict(free_mask=dict(ann_file=None, img_root=None, images=data_root + 'images/'))
