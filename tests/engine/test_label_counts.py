"""The label counts in a self-training summary come from a scan of the label file."""
import json

from mmfreesolo.engine.self_training import _label_counts


def test_counts_images_masks_and_those_above_min_score(tmp_path):
    data = dict(images=[dict(id=i, file_name=f'{i}.png', height=2, width=2) for i in range(3)],
                annotations=[dict(id=1, image_id=0, category_id=1, score=0.9),
                             dict(id=2, image_id=0, category_id=1, score=0.2),
                             dict(id=3, image_id=2, category_id=1)],  # no score: 1.0
                categories=[dict(id=1, name='object')])
    path = tmp_path / 'labels.json'
    path.write_text(json.dumps(data, indent=1))
    assert _label_counts(str(path), 0.5) == dict(num_images=3, num_masks=3, num_masks_used=2)
    assert _label_counts(str(path)) == dict(num_images=3, num_masks=3, num_masks_used=3)
