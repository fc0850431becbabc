"""Instance overlays: with ``names=False`` nothing is written beside the masks, only the masks
and their outlines are drawn; by default each instance is labelled."""
import numpy as np
from scipy import ndimage

from mmfreesolo.visualization.overlay import draw_instances


def test_names_off_draws_only_the_masks():
    image = np.full((64, 64, 3), 40, np.uint8)
    masks = np.zeros((1, 64, 64), bool)
    masks[0, 30:34, 30:34] = True
    near = ndimage.binary_dilation(masks[0], iterations=3)      # the mask and its outline
    named = draw_instances(image, masks)
    bare = draw_instances(image, masks, names=False)
    assert (named[~near] != image[~near]).any(), 'the label "object" reaches past the mask'
    assert (bare[~near] == image[~near]).all()
    assert (bare[masks[0]] != image[masks[0]]).any(), 'the mask is drawn'
