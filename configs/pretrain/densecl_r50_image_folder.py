# DenseCL on a folder of your own images (cells, defects, aerial, ...), searched recursively;
# then Free Mask and FreeSOLO from WORK_DIR/backbone.pth (docs/own_data.md):
#   python tools/pretrain.py configs/pretrain/densecl_r50_image_folder.py --images DIR \
#       --work-dir work_dirs/densecl_mine
_base_ = './densecl_r50_coco.py'

# The two views of an image differ by these augmentations, and the features learn to ignore
# whatever differs: adapt them to your domain first.
#   - Colour tells your objects apart (stains, coloured parts, the generated scenes): remove the
#     ColorJitter step (or its hue and saturation) and RandomGrayscale: on the generated scenes
#     the stock views made Free Mask worse than random weights (docs/benchmarks.md).
#   - Texture is the cue (scratches, fibres on a uniform surface): remove GaussianBlur.
#   - Size is the cue, or objects are small: raise crop_ratio_range's lower end (e.g. 0.5) and
#     crop at about the scale Free Mask will see the objects.
#   - Orientation means nothing (aerial, microscopy): flip vertically too.
view_pipeline = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.), backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[
            dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal']),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='UnlabeledImages',
        images='{{$MMFREESOLO_DATA:data/images/}}',
        pipeline=[
            dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
            dict(type='PackInputs'),
        ]))
# COCO's 800 epochs are about 370k updates of 256 images; on a folder of a few thousand images,
# set max_epochs (and the scheduler's T_max and end with it) for the updates you can afford.
