import json

import pytest

from mmfreesolo.errors import UserInputError
from mmfreesolo.fileio import coco_file_scan
from mmfreesolo.fileio.coco_file_scan import check_coco_file_scan, scan_coco_file
from mmfreesolo.fileio.coco_files import check_coco_file

CHECKS = [check_coco_file, check_coco_file_scan]

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
    assert check_coco_file_scan(_write(tmp_path, GOOD)).images == GOOD['images']


@pytest.mark.parametrize('obj,text,message', [
    (None, '{"images": [{"id": 1, ', 'not valid JSON (Expecting'),
    (None, '', 'not valid JSON'),
    ([], None, 'a COCO file is a JSON object, got a list'),
    (dict(images=[]), None, "no 'categories' list"),
    (_broken(annotations__image_id=7), None, 'refers to image_id 7'),
    (_broken(annotations__category_id=3), None, 'refers to category_id 3'),
    (_broken(annotations__bbox=[0, 0, 2]), None, 'bbox that is not 4 numbers'),
    (_broken(annotations__segmentation={'counts': 5}), None, 'neither polygons nor RLE'),
    (_broken(images__height=None), None, "image 'a.png' has no integer height"),
    (dict(GOOD, images=GOOD['images'] * 2), None, 'image id 1 is used twice'),
    (dict(GOOD, annotations={}), None, "'annotations' is not a list"),
])
@pytest.mark.parametrize('check', CHECKS)
def test_malformed_files_are_named_with_the_problem(tmp_path, obj, text, message, check):
    path = _write(tmp_path, obj, text)
    with pytest.raises(UserInputError) as info:
        check(path)
    assert str(info.value).startswith(path) and message in str(info.value)


@pytest.mark.parametrize('check', CHECKS)
def test_missing_and_binary_files(tmp_path, check):
    with pytest.raises(UserInputError, match='no such file|No such file'):
        check(str(tmp_path / 'nope.json'))
    binary = tmp_path / 'b.json'
    binary.write_bytes(b'\xff\xfe\x00\x81')
    with pytest.raises(UserInputError, match='not a UTF-8 text file|not valid JSON'):
        check(str(binary))
    binary.write_bytes(b'{"images": [{"file_name": "\xff"}]}')
    with pytest.raises(UserInputError, match='not a UTF-8 text file'):
        check(str(binary))


@pytest.mark.parametrize('indent', [None, 1])
def test_scan_gives_every_element_and_its_bytes_across_blocks(tmp_path, monkeypatch, indent):
    """Blocks of 7 bytes: every value and number straddles a block boundary somewhere."""
    monkeypatch.setattr(coco_file_scan, 'BLOCK', 7)
    images = [dict(id=k, file_name=f'é{k}.jpg', height=3, width=12345678) for k in range(5)]
    data = dict(info=dict(year=2017, note='ünï"\\'), images=images, annotations=[],
                categories=GOOD['categories'], licenses=123456789, x=[[1], 2.5])
    path = tmp_path / 'a.json'
    path.write_text(json.dumps(data, indent=indent, ensure_ascii=False) + '\n ',
                    encoding='utf-8')
    raw = path.read_bytes()
    rebuilt = {}
    for element in scan_coco_file(str(path)):
        assert json.loads(raw[element.start:element.end]) == element.value
        if element.index is None:
            rebuilt[element.key] = element.value
        else:
            assert element.index == len(rebuilt.setdefault(element.key, []))
            rebuilt[element.key].append(element.value)
    assert rebuilt == data
