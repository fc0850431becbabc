"""frame_fractions on masks counted by hand."""
import numpy as np
import pytest

from mmfreesolo.structures.mask_frame import frame_fractions


def test_fractions_of_the_frame_counted_by_hand():
    # a 4 x 5 image: its frame is 2 * (4 + 5) - 4 = 14 pixels, its inside the 2 x 3 middle
    masks = np.zeros((5, 4, 5), dtype=bool)
    masks[0] = True                 # everything
    masks[1, 1:3, 1:4] = True       # the inside only
    masks[2, 0] = True              # the top row: 5 pixels
    masks[3, 0, 0] = True           # one corner, counted once
    masks[4, :, -1] = True          # the right column: 4 pixels, two of them corners
    masks[4, 1:3, 1:4] = True       # and the inside, which does not count
    assert frame_fractions(masks).tolist() == [1.0, 0.0, 5 / 14, 1 / 14, 4 / 14]


def test_any_leading_shape_and_a_clear_error_below_two_pixels():
    masks = np.zeros((2, 3, 6, 7), dtype=np.uint8)
    masks[1, 2, 0, :] = 1
    fractions = frame_fractions(masks)
    assert fractions.shape == (2, 3)
    assert fractions[1, 2] == 7 / 22 and fractions.sum() == 7 / 22
    with pytest.raises(ValueError, match='at least 2 x 2 pixels, got 1 x 5'):
        frame_fractions(np.ones((1, 5), dtype=bool))
