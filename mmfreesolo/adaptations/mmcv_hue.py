"""mmcv 2.1's ``adjust_hue`` under numpy 2: it shifts the hue channel by
``np.uint8(hue_factor * 255)``, which numpy 2 refuses for a negative factor (OverflowError),
so any colour jitter with hue (DenseCL's views: hue 0.1) fails on half of its draws. A negative
shift is done here as the rotation mmcv meant (uint8 wrap-around), in integer arithmetic, on
the same colour conversions as mmcv's."""
from __future__ import annotations

import cv2
import mmcv
import mmcv.image
import mmcv.image.photometric as photometric
import numpy as np
from PIL import Image

_original_adjust_hue = photometric.adjust_hue


def adjust_hue(img: np.ndarray, hue_factor: float, backend=None) -> np.ndarray:
    """mmcv's ``adjust_hue``; a negative ``hue_factor`` rotates the 0-255 hue channel by
    ``int(hue_factor * 255)`` modulo 256, as mmcv does under numpy 1."""
    backend = backend or mmcv.image.io.imread_backend
    if (hue_factor >= 0 or hue_factor < -0.5 or backend not in ('cv2', 'pillow')
            or not isinstance(img, np.ndarray) or img.ndim != 3):
        return _original_adjust_hue(img, hue_factor, backend)  # mmcv's result, or its error
    shift = int(hue_factor * 255)
    if backend == 'pillow':
        h, s, v = Image.fromarray(img[..., ::-1], mode='RGB').convert('HSV').split()
        h = Image.fromarray(((np.asarray(h, np.int16) + shift) % 256).astype(np.uint8), 'L')
        return np.array(Image.merge('HSV', (h, s, v)).convert('RGB'), dtype=img.dtype)[..., ::-1]
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + shift) % 256
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(img.dtype)


def allow_negative_hue_shifts() -> None:
    """Install :func:`adjust_hue` where mmcv's callers look it up."""
    for module in (mmcv, mmcv.image, photometric):
        module.adjust_hue = adjust_hue
