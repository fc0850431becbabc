"""A slow, straightforward Free Mask: one image, one query at a time, float64 numpy.

A reading of the release's algorithm as docs/method.md states it ("Free Mask"), written
independently of the batched implementation and sharing no code with it:

1. keys: every feature location, L2-normalised;
2. queries: the raw (not normalised) feature map resized by scale factor s (output
   floor(h s) x floor(w s), each output cell sampled at (i + 0.5) / s - 0.5 in the input,
   bilinear, edges clamped), each query vector then L2-normalised on its own;
3. per query: cosine similarity with every key, min-max normalised (soft mask), >= 0.5 (binary
   mask), dropped with fewer than ``min_cells`` cells, maskness = mean soft value over the
   binary mask;
4. Matrix NMS (gaussian, one class) on the binary masks scored by maskness; the best 20;
5. per kept mask: the h x w soft grid resized bilinearly to the original image size, >= 0.5;
6. filters: mean index of the occupied rows > 0.2 H, number of occupied columns < 0.95 W,
   decayed maskness >= score_thr;
7. embedding: the query vector interpolated linearly along its channels to 128, normalised.
"""
import math

import numpy as np


def sample_1d(position: float, size: int):
    """Bilinear neighbours and weights of a source position, clamped to [0, size - 1]."""
    position = max(position, 0.0)
    low = min(int(math.floor(position)), size - 1)
    high = min(low + 1, size - 1)
    frac = position - low if low < size - 1 else 0.0
    return low, high, frac


def resize_by_scale_factor(feature: np.ndarray, s: float) -> np.ndarray:
    """(C, h, w) -> (C, floor(h s), floor(w s)), each output cell sampled at (i + 0.5) / s - 0.5."""
    c, h, w = feature.shape
    out = np.zeros((c, math.floor(h * s), math.floor(w * s)))
    for y in range(out.shape[1]):
        y0, y1, fy = sample_1d((y + 0.5) / s - 0.5, h)
        for x in range(out.shape[2]):
            x0, x1, fx = sample_1d((x + 0.5) / s - 0.5, w)
            out[:, y, x] = ((1 - fy) * ((1 - fx) * feature[:, y0, x0] + fx * feature[:, y0, x1])
                            + fy * ((1 - fx) * feature[:, y1, x0] + fx * feature[:, y1, x1]))
    return out


def resize_to_size(grid: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """(h, w) -> (out_h, out_w), output pixel i sampled at (i + 0.5) h / out_h - 0.5."""
    h, w = grid.shape
    out = np.zeros((out_h, out_w))
    columns = [sample_1d((x + 0.5) * w / out_w - 0.5, w) for x in range(out_w)]
    x0 = np.array([c[0] for c in columns])
    x1 = np.array([c[1] for c in columns])
    fx = np.array([c[2] for c in columns])
    for y in range(out_h):
        y0, y1, fy = sample_1d((y + 0.5) * h / out_h - 0.5, h)
        top = (1 - fx) * grid[y0, x0] + fx * grid[y0, x1]
        bottom = (1 - fx) * grid[y1, x0] + fx * grid[y1, x1]
        out[y] = (1 - fy) * top + fy * bottom
    return out


def interpolate_channels(vector: np.ndarray, size: int) -> np.ndarray:
    n = len(vector)
    out = np.zeros(size)
    for i in range(size):
        low, high, frac = sample_1d((i + 0.5) * n / size - 0.5, n)
        out[i] = (1 - frac) * vector[low] + frac * vector[high]
    return out


def matrix_nms(candidates, sigma):
    """Decayed scores of candidates sorted by maskness (SOLOv2's Matrix NMS, gaussian)."""
    def iou(a, b):
        return np.logical_and(a, b).sum() / np.logical_or(a, b).sum()

    n = len(candidates)
    ious = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            ious[i, j] = iou(candidates[i]['binary'], candidates[j]['binary'])
    # how much each candidate was itself suppressed: its largest IoU with a better one
    compensation = [max([ious[k, i] for k in range(i)], default=0.0) for i in range(n)]
    scores = []
    for j in range(n):
        decay = 1.0
        for i in range(j):
            decay = min(decay, math.exp(-sigma * ious[i, j]**2)
                        / math.exp(-sigma * compensation[i]**2))
        scores.append(candidates[j]['maskness'] * decay)
    return scores


def free_mask_reference(feature, ori_shape, query_scales=(1.0, 0.5, 0.25), mask_thr=0.5,
                        min_cells=2, sigma=2.0, max_per_img=20, min_center_y=0.2,
                        max_width_ratio=0.95, score_thr=0.7, emb_dim=128):
    """Free Mask of one image.

    Args:
        feature: (C, h, w) float64, the image's feature cells (no padding).
        ori_shape: (H, W) of the original image.

    Returns:
        list of dicts (mask (H, W) bool, score, emb), best first.
    """
    c, h, w = feature.shape
    keys = np.zeros((c, h, w))
    for y in range(h):
        for x in range(w):
            keys[:, y, x] = feature[:, y, x] / np.linalg.norm(feature[:, y, x])
    key_list = [keys[:, y, x] for y in range(h) for x in range(w)]

    queries = []
    for s in query_scales:
        if math.floor(h * s) < 1 or math.floor(w * s) < 1:
            continue
        resized = resize_by_scale_factor(feature, s)
        for y in range(resized.shape[1]):
            for x in range(resized.shape[2]):
                q = resized[:, y, x]
                queries.append(q / np.linalg.norm(q))

    candidates = []
    for q in queries:
        similarity = np.array([np.dot(q, k) for k in key_list])
        soft = (similarity - similarity.min()) / max(similarity.max() - similarity.min(), 1e-6)
        binary = soft >= mask_thr
        if binary.sum() < min_cells:
            continue
        candidates.append(dict(soft=soft.reshape(h, w), binary=binary, q=q,
                               maskness=soft[binary].mean()))
    candidates.sort(key=lambda m: -m['maskness'])
    for m, score in zip(candidates, matrix_nms(candidates, sigma)):
        m['score'] = score
    candidates.sort(key=lambda m: -m['score'])

    out_h, out_w = ori_shape
    results = []
    for m in candidates[:max_per_img]:
        mask = resize_to_size(m['soft'], out_h, out_w) >= mask_thr
        rows = np.nonzero(mask.any(axis=1))[0]
        if len(rows) == 0 or not rows.mean() > min_center_y * out_h:
            continue
        if not mask.any(axis=0).sum() < max_width_ratio * out_w:
            continue
        if m['score'] < score_thr:
            continue
        emb = interpolate_channels(m['q'], emb_dim)
        results.append(dict(mask=mask, score=m['score'], emb=emb / np.linalg.norm(emb)))
    return results
