# FreeSOLO at CPU scale on large images cut into 128-px tiles at their own resolution, so that
# their objects keep their size (tools/tile_images.py; docs/own_data.md). The image-folder
# recipe, with the tiles' Free Mask; tools/stitch_tiles.py puts predictions back on the images.
#
#   python tools/tile_images.py data/my_images/images data/my_tiles --tile 128 --overlap 48
#   MMFREESOLO_DATA=data/my_tiles/ python tools/self_train.py \
#       configs/freesolo_mobilenetv2_tiles_cpu.py --rounds 2 --work-dir work_dirs/my_tiles
#
# Departures from the scenes' recipe (docs/benchmarks.md, "Real microscopy"): round 1's labels
# are not snapped to colour edges, as on a dark background the diffusion erases most of them;
# they are cut at 0.3, not 0.22, as each tile holds a few objects, not a crowd.
_base_ = './freesolo_mobilenetv2_image_folder_cpu.py'

self_training = dict(
    free_mask=dict(config='{{fileDirname}}/free_mask/freemask_mobilenetv2_tiles_cpu.py'),
    labelling=dict(score_thr=0.3, mask_refinement=None))
