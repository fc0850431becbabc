"""Reading image files of any common kind, with a reason for those that cannot be read."""
from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image, ImageOps

# 16-bit and float images are stretched to 8 bits between these percentiles of their values
STRETCH_PERCENTILES = (1.0, 99.5)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """An image of any dtype -> uint8; 16-bit and float values are stretched between their
    1st and 99.5th percentiles (a 12-bit micrograph scaled by 1/256 would be black)."""
    if image.dtype == np.uint8:
        return image
    low, high = np.percentile(image, STRETCH_PERCENTILES)
    scaled = (image.astype(np.float32) - low) / max(float(high - low), 1e-6)
    return (np.clip(scaled, 0, 1) * 255 + 0.5).astype(np.uint8)


def read_image(path: str) -> np.ndarray:
    """Decode any common image as (H, W, 3) uint8 BGR, upright per its EXIF orientation.

    Grayscale, alpha and CMYK images are converted; 16-bit ones stretched by :func:`to_uint8`.
    Raises ``ValueError`` with the reason for anything that is not a readable image.
    """
    with open(path, 'rb') as f:
        data = f.read()
    if not data:
        raise ValueError('empty file')
    # IMREAD_COLOR applies EXIF orientation, drops alpha, converts CMYK; ANYDEPTH keeps 16 bits
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH)
    if image is None:
        try:
            with Image.open(io.BytesIO(data)) as pil:
                pil.load()
                image = np.asarray(ImageOps.exif_transpose(pil).convert('RGB'))[..., ::-1]
        except Exception as e:  # PIL raises many types for undecodable data
            raise ValueError(f'not a readable image ({type(e).__name__})') from None
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError('image has no pixels')
    return np.ascontiguousarray(to_uint8(image))
