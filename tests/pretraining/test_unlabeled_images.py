"""UnlabeledImages: every image of a folder or a COCO json; unreadable files skipped and
recorded once, never fatal unless nothing can be read."""
import json

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from PIL import Image

from mmfreesolo.errors import UserInputError
from mmfreesolo.pretraining import UnlabeledImages, read_skipped

TWO_VIEWS = [
    dict(type='MultiView', num_views=2,
         transforms=[[dict(type='RandomResizedCrop', scale=32, backend='pillow')]]),
    dict(type='PackInputs'),
]


def _folder(root, bad=True):
    (root / 'nested').mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in ('a.png', 'nested/b.jpg'):
        Image.fromarray(rng.integers(0, 255, (40, 50, 3), np.uint8)).save(root / name)
    if bad:
        (root / 'empty.png').write_bytes(b'')
        (root / 'notes.txt').write_text('not an image')
        (root / 'cut.jpg').write_bytes((root / 'nested' / 'b.jpg').read_bytes()[:40])
    return root


def _dataset(**kwargs):
    with DefaultScope.overwrite_default_scope('mmpretrain'):  # the transforms of mmpretrain
        return UnlabeledImages(pipeline=TWO_VIEWS, **kwargs)


def test_unreadable_files_are_skipped_recorded_once_and_replaced(tmp_path):
    skipped = tmp_path / 'work' / 'skipped.jsonl'
    dataset = _dataset(images=str(_folder(tmp_path / 'imgs')), skipped_file=str(skipped))
    names = [dataset.get_data_info(i)['file_name'] for i in range(len(dataset))]
    assert names == ['a.png', 'cut.jpg', 'empty.png', 'nested/b.jpg', 'notes.txt']
    for _ in range(3):  # drawn again and again, recorded once
        for i in range(len(dataset)):
            sample = dataset[i]
            views = sample['inputs']
            assert len(views) == 2 and tuple(views[0].shape) == (3, 32, 32)
            assert sample['data_samples'].img_path.endswith(('a.png', 'nested/b.jpg'))
    # recorded as met: a replacement drawn at random may be unreadable too
    assert sorted(entry['file_name'] for entry in read_skipped(str(skipped))) == [
        'cut.jpg', 'empty.png', 'notes.txt']
    assert all(entry['reason'] for entry in read_skipped(str(skipped)))
    # a line cut short by a kill is not an entry
    with open(skipped, 'a') as f:
        f.write('{"file_name": "x.png", "rea')
    assert len(read_skipped(str(skipped))) == 3


def test_nothing_readable_is_one_clear_error(tmp_path):
    root = tmp_path / 'imgs'
    root.mkdir()
    (root / 'a.png').write_bytes(b'')
    dataset = _dataset(images=str(root), skipped_file=str(tmp_path / 's.jsonl'))
    dataset.max_refetch = 5
    with pytest.raises(UserInputError, match='no readable image among 6 drawn'):
        dataset[0]


def test_images_of_a_coco_json(tmp_path):
    root = _folder(tmp_path / 'imgs', bad=False)
    ann = tmp_path / 'ann.json'
    ann.write_text(json.dumps(dict(
        images=[dict(id=7, file_name='nested/b.jpg', width=50, height=40)], annotations=[],
        categories=[dict(id=1, name='object')])))
    dataset = _dataset(ann_file=str(ann), img_root=str(root))
    assert len(dataset) == 1 and dataset.get_data_info(0)['img_id'] == 7
    assert len(dataset[0]['inputs']) == 2


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / 'imgs').mkdir()
    with pytest.raises(UserInputError, match='holds no files'):
        _dataset(images=str(tmp_path / 'imgs'))
