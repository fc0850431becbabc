"""Reading a COCO json one element at a time, with each element's byte span in the file.

A COCO-scale label file (241,690 images, millions of masks) takes gigabytes of text and several
times that as parsed Python objects. :func:`scan_coco_file` reads it in blocks and decodes one
list element (an image, an annotation) at a time, so memory is bounded by the block, and the
spans let a reader come back for an element later (``os.pread``) instead of keeping it.
:func:`check_coco_file_scan` is :func:`~.coco_files.check_coco_file` on the scan.
"""
from __future__ import annotations

import itertools
import json
import re
from array import array
from typing import Any, Callable, Iterator, NamedTuple, Optional

import numpy as np

from ..errors import UserInputError
from .coco_files import check_annotation, check_category, check_image

BLOCK = 1 << 22
_WHITESPACE = re.compile(r'[ \t\n\r]*')
_DECODER = json.JSONDecoder()


class Element(NamedTuple):
    key: str              # the top-level key
    index: Optional[int]  # position in the key's list, None for a value that is not a list
    value: Any
    start: int            # byte span of the value in the file
    end: int


class _Reader:
    """The file as text, a block at a time. Decoded as latin-1 (one character per byte), so
    positions are byte offsets and JSON's structure is intact; values that are not ASCII are
    decoded again from their bytes as UTF-8."""

    def __init__(self, path: str, block: int = BLOCK) -> None:
        self.path = path
        self.block = block
        self.file = open(path, 'rb')
        self.text, self.base, self.pos, self.eof = '', 0, 0, False

    def more(self) -> bool:
        """Read another block (at least as long as what is held); False at the end."""
        if self.eof:
            return False
        data = self.file.read(max(self.block, len(self.text) - self.pos))
        self.base += self.pos
        self.text = self.text[self.pos:] + data.decode('latin-1')
        self.pos = 0
        self.eof = not data
        return not self.eof

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end of the file)."""
        while True:
            self.pos = _WHITESPACE.match(self.text, self.pos).end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ''

    def expect(self, chars: str) -> str:
        char = self.peek()
        if not char or char not in chars:
            self.fail(f"expecting one of {' '.join(chars)}")
        self.pos += 1
        return char

    def value(self) -> Element:
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
                if end < len(self.text) or self.eof:  # a number may go on in the next block
                    break
            except json.JSONDecodeError:
                if self.eof:
                    raise
            self.more()
        span = self.text[self.pos:end]
        if not span.isascii():
            try:
                value = json.loads(span.encode('latin-1').decode('utf-8'))
            except UnicodeDecodeError:
                raise UserInputError(f'{self.path}: not a UTF-8 text file') from None
        start, self.pos = self.base + self.pos, end
        return Element('', None, value, start, self.base + end)

    def fail(self, message: str) -> None:
        raise UserInputError(f'{self.path}: not valid JSON ({message} at byte '
                             f'{self.base + self.pos})')


def scan_coco_file(path: str, block: int = BLOCK) -> Iterator[Element]:
    """Every top-level value of the JSON object in ``path``, list elements one by one (an
    empty list is yielded whole, with ``index`` None), reading ``block`` bytes at a time.

    Raises :class:`UserInputError` for a missing file, invalid JSON (naming the byte) or a top
    level that is not an object.
    """
    try:
        reader = _Reader(path, block)
    except OSError as e:
        raise UserInputError(f'{path}: {e.strerror}') from None
    with reader.file:
        try:
            first = reader.peek()
            if not first:
                reader.fail('no value')
            if first != '{':
                value = reader.value().value  # invalid JSON fails here
                kind = type(value).__name__
                raise UserInputError(f'{path}: a COCO file is a JSON object, got a {kind}')
            reader.pos += 1
            if reader.peek() == '}':
                reader.pos += 1
            else:
                while True:
                    key = reader.value().value
                    if not isinstance(key, str):
                        reader.fail('expecting a key')
                    reader.expect(':')
                    if reader.peek() == '[':
                        start = reader.base + reader.pos
                        reader.pos += 1
                        if reader.peek() == ']':  # yielded whole, so that its key is seen
                            reader.pos += 1
                            yield Element(key, None, [], start, reader.base + reader.pos)
                        else:
                            for index in itertools.count():
                                yield reader.value()._replace(key=key, index=index)
                                if reader.expect(',]') == ']':
                                    break
                    else:
                        yield reader.value()._replace(key=key)
                    if reader.expect(',}') == '}':
                        break
            if reader.peek():
                reader.fail('extra data')
        except json.JSONDecodeError as e:
            raise UserInputError(f'{path}: not valid JSON ({e.msg} at byte '
                                 f'{reader.base + e.pos})') from None


class CocoFileSummary(NamedTuple):
    """What a checking scan keeps: small, whatever the number of annotations."""
    images: list            # the image entries
    categories: list        # the category entries


def check_coco_file_scan(path: str,
                         on_annotation: Optional[Callable[[Element], None]] = None
                         ) -> CocoFileSummary:
    """The checks of :func:`~.coco_files.check_coco_file`, on a scan of ``path``: memory does
    not grow with the annotations' size (masks are checked and dropped one by one).

    Args:
        on_annotation: called with each annotation's :class:`Element` once it is checked (its
            image and category are checked to be listed at the end of the file).
    """
    images, categories = [], []
    image_ids, category_ids = set(), set()
    ann_images, ann_categories = array('q'), array('q')
    seen = set()
    for element in scan_coco_file(path):
        seen.add(element.key)
        not_list = element.index is None and not isinstance(element.value, list)
        if element.key in ('images', 'categories') and not_list:
            raise UserInputError(f"{path}: no '{element.key}' list")
        if element.key == 'annotations' and not_list:
            raise UserInputError(f"{path}: 'annotations' is not a list")
        if element.index is None:
            continue
        if element.key == 'images':
            check_image(path, element.index, element.value, image_ids)
            images.append(element.value)
        elif element.key == 'categories':
            check_category(path, element.index, element.value)
            category_ids.add(element.value['id'])
            categories.append(element.value)
        elif element.key == 'annotations':
            ann = element.value
            check_annotation(path, element.index, ann, None, None)
            if on_annotation is not None:
                on_annotation(element)
            ann_images.append(ann['image_id'])
            ann_categories.append(ann['category_id'])
    for key in ('images', 'categories'):
        if key not in seen:
            raise UserInputError(f"{path}: no '{key}' list")
    # annotations may come before the images and categories they refer to: checked at the end
    ann_images = np.frombuffer(ann_images, dtype=np.int64)
    for ids, known, key, listed in (
            (ann_images, image_ids, 'image_id', 'images'),
            (np.frombuffer(ann_categories, dtype=np.int64), category_ids, 'category_id',
             'categories')):
        unknown = np.flatnonzero(~np.isin(ids, np.fromiter(known, np.int64, len(known))))
        if len(unknown):
            raise UserInputError(f'{path}: annotations[{unknown[0]}] refers to {key} '
                                 f'{ids[unknown[0]]}, which is not in {listed}')
    return CocoFileSummary(images, categories)
