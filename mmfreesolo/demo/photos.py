"""Real photos for the demo: those bundled in the scikit-image wheel (so available offline).

They have no masks: the demo shows what each stage finds on them, next to the generated scenes
it can score.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import List

import cv2

# people, objects, an animal, many small objects, and tissue (a domain of its own)
PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket', 'coins', 'immunohistochemistry')


def write_photos(folder: str, names=PHOTOS) -> List[str]:
    """Save the named ``skimage.data`` images as PNG files in ``folder``; their paths."""
    import skimage.data

    os.makedirs(folder, exist_ok=True)
    paths = []
    for name in names:
        path = osp.join(folder, f'{name}.png')
        if not osp.isfile(path):
            image = getattr(skimage.data, name)()
            if image.ndim == 3:
                image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
            cv2.imwrite(path, image)
        paths.append(path)
    return paths
