"""Checks of COCO-format json files, so that a malformed file fails with one clear line.

Without them, a bad file surfaces as a KeyError or a JSONDecodeError deep inside a dataset or
pycocotools, after the model and the workers have been built.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Set

from ..errors import UserInputError
from .json_files import read_json

# The one category of class-agnostic files: pseudo-labels, generated scenes.
CATEGORIES = [dict(id=1, name='object', supercategory='object')]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_coco_file(path: str, data: Optional[Any] = None) -> Dict:
    """Check that ``path`` (or its already parsed ``data``) is a usable COCO instances file.

    Checks the top-level lists, unique image and category ids, and that every annotation names a
    listed image and category and has a well-formed box and segmentation. Returns the parsed dict.
    """
    data = read_json(path) if data is None else data
    if not isinstance(data, dict):
        raise UserInputError(f'{path}: a COCO file is a JSON object, got a {type(data).__name__}')
    for key in ('images', 'categories'):
        if not isinstance(data.get(key), list):
            raise UserInputError(f"{path}: no '{key}' list")
    annotations = data.setdefault('annotations', [])
    if not isinstance(annotations, list):
        raise UserInputError(f"{path}: 'annotations' is not a list")

    image_ids = set()
    for i, img in enumerate(data['images']):
        check_image(path, i, img, image_ids)
    category_ids = set()
    for i, cat in enumerate(data['categories']):
        check_category(path, i, cat)
        category_ids.add(cat['id'])
    for i, ann in enumerate(annotations):
        check_annotation(path, i, ann, image_ids, category_ids)
    return data


def check_image(path: str, i: int, img: Any, image_ids: Set[int]) -> None:
    """``images[i]``: an integer id not in ``image_ids`` (where it is then added), a file name,
    integer height and width."""
    if not isinstance(img, dict) or not isinstance(img.get('id'), int) \
            or not isinstance(img.get('file_name'), str):
        raise UserInputError(f'{path}: images[{i}] needs an integer id and a file_name')
    if not (isinstance(img.get('height'), int) and isinstance(img.get('width'), int)):
        raise UserInputError(f'{path}: image {img["file_name"]!r} has no integer '
                             'height and width')
    if img['id'] in image_ids:
        raise UserInputError(f'{path}: image id {img["id"]} is used twice')
    image_ids.add(img['id'])


def check_category(path: str, i: int, cat: Any) -> None:
    if not isinstance(cat, dict) or not isinstance(cat.get('id'), int) \
            or not isinstance(cat.get('name'), str):
        raise UserInputError(f'{path}: categories[{i}] needs an integer id and a name')


def check_annotation(path: str, i: int, ann: Any, image_ids: Optional[Set[int]],
                     category_ids: Optional[Set[int]]) -> None:
    """``annotations[i]``: an object naming a listed image and category (not checked where the
    id sets are None, but an id must still be an integer), with a well-formed box and
    segmentation."""
    where = f'{path}: annotations[{i}]'
    if not isinstance(ann, dict):
        raise UserInputError(f'{where} is not an object')
    for key, known, listed in (('image_id', image_ids, 'images'),
                               ('category_id', category_ids, 'categories')):
        value = ann.get(key)
        if (value not in known) if known is not None else not isinstance(value, int):
            raise UserInputError(f'{where} refers to {key} {value!r}, which is not in {listed}')
    box = ann.get('bbox')
    if box is not None and not (isinstance(box, list) and len(box) == 4
                                and all(_is_number(v) for v in box)):
        raise UserInputError(f'{where} has a bbox that is not 4 numbers (XYWH): {box!r}')
    seg = ann.get('segmentation')
    if seg is not None and not _valid_segmentation(seg):
        raise UserInputError(f'{where} has a segmentation that is neither polygons nor RLE')


def _valid_segmentation(seg: Any) -> bool:
    if isinstance(seg, dict):
        return isinstance(seg.get('counts'), (str, list)) and isinstance(seg.get('size'), list)
    return isinstance(seg, list) and all(
        isinstance(poly, list) and all(_is_number(v) for v in poly) for poly in seg)
