"""Generated benchmark scenes: COCO-format datasets with known instance masks.

Every scene is a textured, cluttered background with several objects of varied shape, size,
colour and texture that partly occlude each other. Scene ``i`` of a split depends only on
``(seed, split, i)``, so datasets of any size agree on their common images, and two runs with the
same arguments write byte-identical files.

Layout written by :func:`generate_scenes`::

    OUT/annotations/instances_{train,val}.json   category 1 "object", RLE masks, XYWH boxes
    OUT/{train,val}/000001.png ...
"""
from __future__ import annotations

import os
import os.path as osp
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..fileio.coco_files import CATEGORIES
from ..fileio.json_files import write_json_atomic
from ..structures import mask_to_annotation

SPLITS = {'train': 0, 'val': 1}
SHAPES = ('ellipse', 'rectangle', 'blob', 'star', 'polygon')


@dataclass(frozen=True)
class SceneSpec:
    """What a scene looks like; sizes are fractions of the image's short side."""
    height: int = 128
    width: int = 128
    min_objects: int = 3
    max_objects: int = 7
    min_size: float = 0.08
    max_size: float = 0.6
    # an object is annotated only if this share of it stays visible and it keeps min_area pixels
    min_visible: float = 0.3
    min_area: int = 12
    clutter: int = 30


def _colour(rng: np.random.Generator) -> np.ndarray:
    """A random RGB colour in [0, 255], saturated enough to be seen."""
    hsv = np.array([[[rng.integers(0, 180), rng.integers(60, 256), rng.integers(60, 256)]]],
                   dtype=np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def _noise(rng: np.random.Generator, h: int, w: int, cell: float) -> np.ndarray:
    """Smooth value noise in [-1, 1] of shape (h, w) with features about ``cell`` pixels wide."""
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    grid = rng.uniform(-1, 1, size=(gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC).clip(-1, 1)


def _pattern(rng: np.random.Generator, h: int, w: int, scale: float) -> np.ndarray:
    """A texture in [-1, 1] of shape (h, w): flat, stripes, checks or blotches."""
    kind = rng.integers(0, 4)
    if kind == 0:
        return np.zeros((h, w), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, np.pi)
    period = rng.uniform(0.15, 0.5) * scale + 2
    u = xx * np.cos(theta) + yy * np.sin(theta)
    if kind == 1:
        return np.sin(2 * np.pi * u / period)
    if kind == 2:
        v = -xx * np.sin(theta) + yy * np.cos(theta)
        return np.sign(np.sin(np.pi * u / period) * np.sin(np.pi * v / period))
    return _noise(rng, h, w, max(2.0, period / 2))


def _background(rng: np.random.Generator, spec: SceneSpec) -> np.ndarray:
    """A float (H, W, 3) background: colour gradient, texture and translucent clutter."""
    h, w = spec.height, spec.width
    c0, c1 = _colour(rng) * 0.8, _colour(rng) * 0.8
    theta = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (xx * np.cos(theta) + yy * np.sin(theta))
    t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
    img = c0 * (1 - t[..., None]) + c1 * t[..., None]
    img += 40 * rng.uniform(0.3, 1.0) * _pattern(rng, h, w, min(h, w) * 0.3)[..., None]
    img += 25 * _noise(rng, h, w, min(h, w) / 6)[..., None]
    short = min(h, w)
    for _ in range(spec.clutter):
        size = short * rng.uniform(0.02, 0.07)
        mask, (y0, x0) = _shape_mask(rng, str(rng.choice(SHAPES)), size, h, w)
        alpha = rng.uniform(0.25, 0.6)
        region = img[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]]
        region[mask] = (1 - alpha) * region[mask] + alpha * _colour(rng)
    return img


def _shape_mask(rng: np.random.Generator, shape: str, size: float, h: int,
                w: int) -> Tuple[np.ndarray, Tuple[int, int]]:
    """A boolean mask of one shape about ``size`` pixels across, placed at random.

    Returns the mask cropped to the image (hb, wb) and its top-left corner (y0, x0).
    """
    aspect = np.exp(rng.uniform(-0.6, 0.6))
    a, b = size / 2 * aspect ** 0.5, size / 2 / aspect ** 0.5
    reach = int(np.ceil(max(a, b) * 1.5)) + 1
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    y0, y1 = max(0, int(cy) - reach), min(h, int(cy) + reach + 1)
    x0, x1 = max(0, int(cx) - reach), min(w, int(cx) + reach + 1)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    rot = rng.uniform(0, np.pi)
    dx, dy = xx + 0.5 - cx, yy + 0.5 - cy
    u = (dx * np.cos(rot) + dy * np.sin(rot)) / a
    v = (-dx * np.sin(rot) + dy * np.cos(rot)) / b
    r, phi = np.hypot(u, v), np.arctan2(v, u)
    if shape == 'ellipse':
        mask = r <= 1
    elif shape == 'rectangle':
        mask = (np.abs(u) <= 0.85) & (np.abs(v) <= 0.85)
    elif shape == 'star':
        points = rng.integers(4, 8)
        radius = 0.75 + 0.35 * np.cos(points * phi + rng.uniform(0, 2 * np.pi))
        mask = r <= radius
    elif shape == 'polygon':
        corners = rng.integers(3, 8)
        angles = np.sort(rng.uniform(0, 2 * np.pi, corners))
        radii = rng.uniform(0.6, 1.2, corners)
        pts = np.stack([np.cos(angles) * radii * a, np.sin(angles) * radii * b], 1)
        pts = pts @ np.array([[np.cos(rot), np.sin(rot)], [-np.sin(rot), np.cos(rot)]])
        pts += np.array([cx - x0, cy - y0])
        canvas = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(canvas, [np.round(pts * 16).astype(np.int32)], 1, shift=4)
        mask = canvas.astype(bool)
    else:  # blob: a smooth random radius function of the angle
        radius = np.full_like(phi, 0.85)
        for k in range(1, 5):
            radius += rng.uniform(0, 0.25 / k) * np.cos(k * phi + rng.uniform(0, 2 * np.pi))
        mask = r <= radius
    return mask, (y0, x0)


def _object_texture(rng: np.random.Generator, mask: np.ndarray, size: float) -> np.ndarray:
    """The (hb, wb, 3) float appearance of one object: colour, texture and shading."""
    hb, wb = mask.shape
    colour = _colour(rng)
    texture = _pattern(rng, hb, wb, size)
    second = _colour(rng)
    mix = (rng.uniform(0.2, 0.6) * (texture + 1) / 2)[..., None]
    appearance = colour * (1 - mix) + second * mix
    yy, xx = np.mgrid[0:hb, 0:wb].astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    shade = (xx * np.cos(theta) + yy * np.sin(theta)) / max(hb, wb, 1)
    return appearance * (1 + 0.25 * (shade - shade.mean()))[..., None]


@dataclass
class Scene:
    """One drawn scene and its N annotated objects, in drawing order (back to front)."""
    image: np.ndarray        # (H, W, 3) uint8 RGB
    masks: np.ndarray        # (N, H, W) bool, the visible part of each object
    full_masks: np.ndarray   # (N, H, W) bool, each object before later ones occlude it
    shapes: List[str]


def render_scene(rng: np.random.Generator, spec: SceneSpec) -> Scene:
    """Draw one scene with ``rng``; the same generator state gives the same scene."""
    h, w = spec.height, spec.width
    short = min(h, w)
    img = _background(rng, spec)
    full: List[np.ndarray] = []      # each object's full mask (H, W) before later occluders
    visible: List[np.ndarray] = []
    shapes: List[str] = []
    count = int(rng.integers(spec.min_objects, spec.max_objects + 1))
    log_lo, log_hi = np.log(spec.min_size), np.log(spec.max_size)
    for _ in range(count):
        shape = str(rng.choice(SHAPES))
        size = short * float(np.exp(rng.uniform(log_lo, log_hi)))
        crop, (y0, x0) = _shape_mask(rng, shape, size, h, w)
        mask = np.zeros((h, w), bool)
        mask[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]] = crop
        if mask.sum() < spec.min_area:
            continue
        appearance = _object_texture(rng, crop, size)
        region = img[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]]
        region[crop] = appearance[crop]
        for other in visible:
            other &= ~mask
        full.append(mask)
        visible.append(mask.copy())
        shapes.append(shape)
    img += rng.normal(0, 4, size=img.shape)  # sensor noise
    image = img.clip(0, 255).astype(np.uint8)
    keep = [i for i, (f, v) in enumerate(zip(full, visible))
            if v.sum() >= max(spec.min_area, spec.min_visible * f.sum())]
    empty = np.zeros((0, h, w), bool)
    return Scene(image=image,
                 masks=np.stack([visible[i] for i in keep]) if keep else empty,
                 full_masks=np.stack([full[i] for i in keep]) if keep else empty,
                 shapes=[shapes[i] for i in keep])


def scene_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The random generator of scene ``index`` of ``split``: independent of the dataset size."""
    return np.random.default_rng([seed, SPLITS[split], index])


def build_split(out_dir: str, split: str, num_images: int, spec: SceneSpec,
                seed: int) -> Dict:
    """Render ``num_images`` scenes into ``out_dir/split`` and return their COCO dict."""
    os.makedirs(osp.join(out_dir, split), exist_ok=True)
    images, annotations = [], []
    for index in range(num_images):
        scene = render_scene(scene_rng(seed, split, index), spec)
        image_id = index + 1
        file_name = f'{image_id:06d}.png'
        cv2.imwrite(osp.join(out_dir, split, file_name), scene.image[..., ::-1])
        images.append(dict(id=image_id, file_name=file_name, height=spec.height,
                           width=spec.width))
        for mask, shape in zip(scene.masks, scene.shapes):
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id, category_id=1,
                                    shape=shape, **mask_to_annotation(mask)))
    info = dict(description='mmfreesolo generated scenes', split=split, seed=seed,
                spec=asdict(spec))
    return dict(info=info, images=images, annotations=annotations, categories=CATEGORIES)


def generate_scenes(out_dir: str,
                    num_train: int = 64,
                    num_val: int = 16,
                    image_size: Sequence[int] = (128, 128),
                    seed: int = 0,
                    spec: Optional[SceneSpec] = None) -> Dict[str, str]:
    """Write a train and a val split of generated scenes under ``out_dir``.

    Args:
        image_size: (height, width) of every image.
        spec: everything else about the scenes; its height and width are replaced by
            ``image_size``.

    Returns:
        The annotation file of each split, keyed by split name.
    """
    height, width = int(image_size[0]), int(image_size[1])
    if height < 8 or width < 8:
        raise ValueError(f'image_size must be at least 8x8, got {height}x{width}')
    base = spec or SceneSpec()
    spec = SceneSpec(**{**asdict(base), 'height': height, 'width': width})
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    ann_files = {}
    for split, count in (('train', num_train), ('val', num_val)):
        coco = build_split(out_dir, split, count, spec, seed)
        ann_file = osp.join(out_dir, 'annotations', f'instances_{split}.json')
        write_json_atomic(ann_file, coco)
        ann_files[split] = ann_file
    return ann_files
