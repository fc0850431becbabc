"""Reading image files of any common kind, with a reason for those that cannot be read."""
from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image, ImageOps


def read_image(path: str) -> np.ndarray:
    """Decode any common image as (H, W, 3) uint8 BGR, upright per its EXIF orientation.

    Grayscale, alpha, 16-bit and CMYK images are converted. Raises ``ValueError`` with the
    reason for anything that is not a readable image.
    """
    with open(path, 'rb') as f:
        data = f.read()
    if not data:
        raise ValueError('empty file')
    # IMREAD_COLOR applies EXIF orientation, drops alpha, scales 16 bits to 8, converts CMYK
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        try:
            with Image.open(io.BytesIO(data)) as pil:
                pil.load()
                image = np.asarray(ImageOps.exif_transpose(pil).convert('RGB'))[..., ::-1]
        except Exception as e:  # PIL raises many types for undecodable data
            raise ValueError(f'not a readable image ({type(e).__name__})') from None
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError('image has no pixels')
    return np.ascontiguousarray(image)
