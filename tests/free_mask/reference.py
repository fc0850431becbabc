"""A slow, straightforward Free Mask: one image, one query at a time, float64 numpy.

Written from the method's description (FREESOLO.md) independently of the batched
implementation, to check it.
"""
import math

import numpy as np


def bilinear(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Resize (h, w) to (out_h, out_w), half-pixel centres, edges clamped."""
    h, w = image.shape
    ys = np.clip((np.arange(out_h) + 0.5) * h / out_h - 0.5, 0, h - 1)
    xs = np.clip((np.arange(out_w) + 0.5) * w / out_w - 0.5, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = image[y0][:, x0] * (1 - wx) + image[y0][:, x1] * wx
    bottom = image[y1][:, x0] * (1 - wx) + image[y1][:, x1] * wx
    return top * (1 - wy) + bottom * wy


def linear_1d(vector: np.ndarray, size: int) -> np.ndarray:
    n = len(vector)
    out = np.empty(size)
    for i in range(size):
        x = min(max((i + 0.5) * n / size - 0.5, 0), n - 1)
        lo = int(math.floor(x))
        hi = min(lo + 1, n - 1)
        out[i] = vector[lo] * (1 - (x - lo)) + vector[hi] * (x - lo)
    return out


def free_mask_reference(feature, stride, img_shape, ori_shape, query_scales=(1.0, 0.5, 0.25),
                        mask_thr=0.5, min_cells=2, sigma=2.0, max_per_img=20,
                        min_center_y=0.2, max_width_ratio=0.95, score_thr=0.7, emb_dim=128):
    """Free Mask of one image.

    Args:
        feature: (C, h, w) float64, the image's feature cells (no padding).

    Returns:
        list of dicts (mask (H, W) bool, score, emb), best first.
    """
    c, h, w = feature.shape
    keys = [feature[:, y, x] / np.linalg.norm(feature[:, y, x])
            for y in range(h) for x in range(w)]
    queries = []
    for s in query_scales:
        qh, qw = max(1, round(h * s)), max(1, round(w * s))
        resized = np.stack([bilinear(feature[k], qh, qw) for k in range(c)])
        for y in range(qh):
            for x in range(qw):
                q = resized[:, y, x]
                queries.append(q / np.linalg.norm(q))

    candidates = []
    for q in queries:
        sims = np.array([float(np.dot(q, k)) for k in keys])
        soft = (sims - sims.min()) / max(sims.max() - sims.min(), 1e-6)
        binary = soft >= mask_thr
        if binary.sum() < min_cells:
            continue
        maskness = soft[binary].sum() / binary.sum()
        candidates.append(dict(soft=soft.reshape(h, w), binary=binary, maskness=maskness, q=q))

    # Matrix NMS, one class, gaussian kernel
    candidates.sort(key=lambda m: -m['maskness'])

    def iou(a, b):
        return (a & b).sum() / (a | b).sum()

    compensate = []
    for i, m in enumerate(candidates):
        compensate.append(max([iou(candidates[k]['binary'], m['binary'])
                               for k in range(i)], default=0.0))
    for j, m in enumerate(candidates):
        decay = 1.0
        for i in range(j):
            ratio = (math.exp(-sigma * iou(candidates[i]['binary'], m['binary'])**2)
                     / math.exp(-sigma * compensate[i]**2))
            decay = min(decay, ratio)
        m['score'] = m['maskness'] * decay
    candidates.sort(key=lambda m: -m['score'])
    candidates = candidates[:max_per_img]

    out_h, out_w = ori_shape
    sy, sx = ori_shape[0] / img_shape[0], ori_shape[1] / img_shape[1]
    grid_h = max(out_h, round(h * stride * sy))
    grid_w = max(out_w, round(w * stride * sx))
    results = []
    for m in candidates:
        mask = bilinear(m['soft'], grid_h, grid_w)[:out_h, :out_w] >= mask_thr
        if not mask.any():
            continue
        ys, xs = np.nonzero(mask)
        width = xs.max() - xs.min() + 1
        if ys.mean() < min_center_y * out_h or width >= max_width_ratio * out_w:
            continue
        if m['score'] < score_thr:
            continue
        emb = linear_1d(m['q'], emb_dim)
        results.append(dict(mask=mask, score=m['score'], emb=emb / np.linalg.norm(emb)))
    return results
