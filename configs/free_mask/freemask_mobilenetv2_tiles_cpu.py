# Free Mask on 128-px tiles of large images (tools/tile_images.py), with the offline ImageNet
# MobileNetV2: the scenes' config, with the changes that images of many alike objects need.
#
#   python tools/free_mask.py configs/free_mask/freemask_mobilenetv2_tiles_cpu.py \
#       --images data/my_tiles --out data/my_tiles_free_mask.json
#
# Why each value departs from the scenes' config (docs/benchmarks.md, "Real microscopy"):
# stage 13 (stride 16): the tiles upscaled 4x put a 24-px nucleus on 6 cells, at stride 32 on 3;
# split_components: one query lights up every nucleus alike, each piece becomes a mask; no rule
# on a mask's height in the tile (an object may sit anywhere), but masks wider than half a tile
# are dropped (objects are smaller than the tiles' overlap); more masks per tile, as a tile holds
# dozens; pieces of fewer than 4 cells (8 x 8 tile px) dropped.
_base_ = './freemask_mobilenetv2_scenes_cpu.py'

model = dict(
    backbone=dict(out_indices=(13, )),
    split_components=True,
    nms_pre=1000,  # the pieces number thousands: Matrix NMS over the best 1000, same labels
    min_cells=4,
    max_per_img=50,
    min_center_y=0.0,
    max_width_ratio=0.5)
