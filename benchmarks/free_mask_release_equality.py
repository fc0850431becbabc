"""Does the batched Free Mask give the release's masks? Measured against the slow reading of the
release in tests/free_mask/reference.py, on real photos at their real sizes.

    python benchmarks/free_mask_release_equality.py [--backbones mobilenet_v2 random_resnet50] \
        [--batch-size 2]

Images: the photos bundled in the scikit-image wheel (offline), at their own sizes (172 x 448 to
1411 x 1411), resized only by each config's test pipeline, so that most network inputs are not
a multiple of the stride. Backbones: the MobileNetV2 CPU config (ImageNet weights, 512 px) with
the release's filters, and the COCO config (800 px) with a random ResNet-50 (no DenseCL file
offline) keeping every mask (score_thr 0).

The reference runs on the backbone's features of each image alone, unpadded, as the release
does. The batched path runs in batches of ``--batch-size`` (mixed sizes) twice: unpadded
(``pad_inputs=False``, the default) and padded (``pad_inputs=True``: one backbone pass over the
padded batch, the option's effect on the masks). For each: masks kept by each path, the IoU of
every mask with its counterpart (same rank), the share of pairs with IoU >= 0.95, the largest
score difference, the mean over the reference's masks of the best IoU with any mask of the
batched path, and the wall time of the batched path's test_step.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
import time

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tests', 'free_mask'))

from mmfreesolo.engine.free_mask_labelling import build_free_mask  # noqa: E402
from mmfreesolo.pseudo_labels.image_records import list_images  # noqa: E402
from mmfreesolo.pseudo_labels.images_to_label import ImagesToLabel  # noqa: E402
from reference import free_mask_reference  # noqa: E402

# skimage.data functions whose images ship inside the wheel: photos, micrographs, documents
PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket', 'coins', 'immunohistochemistry',
          'hubble_deep_field', 'horse', 'camera', 'page', 'text', 'cell', 'retina', 'logo',
          'brick', 'gravel')
REFERENCE_PARAMS = ('query_scales', 'mask_thr', 'min_cells', 'max_per_img', 'min_center_y',
                    'max_width_ratio', 'score_thr', 'emb_dim')


def configs():
    mobilenet = Config.fromfile(osp.join(ROOT, 'configs/free_mask/'
                                         'freemask_mobilenetv2_scenes_cpu.py'))
    mobilenet.model.filters = 'release'       # the reference implements the release's filters
    resnet = Config.fromfile(osp.join(ROOT, 'configs/free_mask/freemask_r50_coco.py'))
    resnet.model.backbone_checkpoint = None   # random weights: no DenseCL file offline
    resnet.model.score_thr = 0.0              # keep everything, so that every mask is compared
    return {'mobilenet_v2': mobilenet, 'random_resnet50': resnet}


def write_real_photos(folder):
    """The PHOTOS as PNG files at their own sizes (grey and binary ones as 8-bit grey)."""
    import skimage.data

    os.makedirs(folder, exist_ok=True)
    for name in PHOTOS:
        image = getattr(skimage.data, name)()
        if image.dtype == bool:
            image = image.astype(np.uint8) * 255
        if image.ndim == 3:
            image = cv2.cvtColor(image[..., :3], cv2.COLOR_RGB2BGR)
        cv2.imwrite(osp.join(folder, f'{name}.png'), image)
    return list_images(folder)


def unpadded_references(model, cfg, items):
    """The reference's masks of each item, from the backbone run on the image alone."""
    data = model.data_preprocessor(pseudo_collate([i['sample'] for i in items]), False)
    params = {k: cfg.model[k] for k in REFERENCE_PARAMS}
    refs = []
    for image, sample in zip(data['inputs'], data['data_samples']):
        h, w = sample.img_shape
        with torch.no_grad():
            feature = model.extract_feat(image[None, :, :h, :w])[0]
        refs.append(free_mask_reference(feature.double().numpy(), sample.ori_shape,
                                        sigma=cfg.model.nms_sigma, **params))
    return refs


def iou(a, b):
    union = (a | b).sum()
    return (a & b).sum() / union if union else 1.0


def compare(outputs, refs):
    """Masks paired by rank (equal outputs pair every mask with IoU 1), and each reference
    mask's best IoU with any mask of the same image (how far apart unequal outputs are)."""
    ours = theirs = 0
    ious, best, score_diffs = [], [], []
    for out, ref in zip(outputs, refs):
        pred = out.pred_instances
        masks = pred.masks.numpy()
        ours += len(pred)
        theirs += len(ref)
        for k in range(min(len(pred), len(ref))):
            ious.append(iou(masks[k], ref[k]['mask']))
            score_diffs.append(abs(float(pred.scores[k]) - ref[k]['score']))
        best += [max((iou(m, r['mask']) for m in masks), default=0.0) for r in ref]
    ious = np.array(ious) if ious else np.array([float('nan')])
    return dict(ours=ours, theirs=theirs, pairs=len(score_diffs), min_iou=ious.min(),
                mean_iou=ious.mean(), share_095=(ious >= 0.95).mean(),
                best_iou=np.mean(best) if best else float('nan'),
                max_score_diff=max(score_diffs, default=0.0))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--backbones', nargs='+', default=['mobilenet_v2', 'random_resnet50'])
    parser.add_argument('--batch-size', type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        records = write_real_photos(folder)
        for name in args.backbones:
            cfg = configs()[name]
            torch.manual_seed(0)
            model = build_free_mask(cfg)
            dataset = ImagesToLabel(records, cfg.test_pipeline)
            items = [dataset[i] for i in range(len(dataset))]
            batches = [items[i:i + args.batch_size]
                       for i in range(0, len(items), args.batch_size)]
            begin = time.perf_counter()
            refs = [ref for batch in batches for ref in unpadded_references(model, cfg, batch)]
            slow = time.perf_counter() - begin
            shapes = [tuple(item['sample']['data_samples'].img_shape) for item in items]
            odd = sum(any(v % 32 for v in shape) for shape in shapes)
            print(f'{name}: {len(items)} photos, originals {min(i["shape"] for i in items)} to '
                  f'{max(i["shape"] for i in items)}; network inputs {odd} of {len(items)} not '
                  f'a multiple of 32; input scale {cfg.test_pipeline[1].scale}, score_thr '
                  f'{cfg.model.score_thr}; reference {slow:.0f} s')
            for pad_inputs in (False, True):
                model.pad_inputs = pad_inputs
                outputs, fast = [], 0.0
                for batch in batches:
                    begin = time.perf_counter()
                    with torch.no_grad():
                        outputs += model.test_step(pseudo_collate([i['sample'] for i in batch]))
                    fast += time.perf_counter() - begin
                r = compare(outputs, refs)
                print(f'  {"padded  " if pad_inputs else "unpadded"} batches of '
                      f'{args.batch_size}: masks kept {r["ours"]}, reference {r["theirs"]}; '
                      f'{r["pairs"]} pairs: IoU min {r["min_iou"]:.4f}, mean '
                      f'{r["mean_iou"]:.4f}, >= 0.95 for {100 * r["share_095"]:.1f} %; largest '
                      f'score difference {r["max_score_diff"]:.2e}; reference masks\' best IoU '
                      f'with any: mean {r["best_iou"]:.4f}; {fast:.1f} s', flush=True)


if __name__ == '__main__':
    main()
