import json

import pytest

from mmfreesolo.errors import UserInputError
from mmfreesolo.fileio.coco_files import check_coco_file

GOOD = dict(images=[dict(id=1, file_name='a.png', height=4, width=4)],
            categories=[dict(id=1, name='object')],
            annotations=[dict(id=1, image_id=1, category_id=1, bbox=[0, 0, 2, 2],
                              segmentation=[[0, 0, 2, 0, 2, 2]])])


def _write(tmp_path, obj, text=None):
    path = tmp_path / 'ann.json'
    path.write_text(text if text is not None else json.dumps(obj))
    return str(path)


def _broken(**changes):
    data = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        section, field = key.split('__')
        data[section][0][field] = value
    return data


def test_good_file_passes(tmp_path):
    assert check_coco_file(_write(tmp_path, GOOD))['images'][0]['id'] == 1


@pytest.mark.parametrize('obj,text,message', [
    (None, '{"images": [1, 2', 'not valid JSON (Expecting'),
    (None, '', 'not valid JSON'),
    ([], None, 'a COCO file is a JSON object, got a list'),
    (dict(images=[]), None, "no 'categories' list"),
    (_broken(annotations__image_id=7), None, 'refers to image_id 7'),
    (_broken(annotations__category_id=3), None, 'refers to category_id 3'),
    (_broken(annotations__bbox=[0, 0, 2]), None, 'bbox that is not 4 numbers'),
    (_broken(annotations__segmentation={'counts': 5}), None, 'neither polygons nor RLE'),
    (_broken(images__height=None), None, "image 'a.png' has no integer height"),
    (dict(GOOD, images=GOOD['images'] * 2), None, 'image id 1 is used twice'),
])
def test_malformed_files_are_named_with_the_problem(tmp_path, obj, text, message):
    path = _write(tmp_path, obj, text)
    with pytest.raises(UserInputError) as info:
        check_coco_file(path)
    assert str(info.value).startswith(path) and message in str(info.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(UserInputError, match='no such file'):
        check_coco_file(str(tmp_path / 'nope.json'))
    binary = tmp_path / 'b.json'
    binary.write_bytes(b'\xff\xfe\x00\x81')
    with pytest.raises(UserInputError, match='not a UTF-8 text file|not valid JSON'):
        check_coco_file(str(binary))
