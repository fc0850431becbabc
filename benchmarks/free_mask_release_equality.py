"""Does the batched Free Mask give the release's masks? Measured against the slow reading of the
release in tests/free_mask/reference.py, on the same backbone features.

    python benchmarks/free_mask_release_equality.py [--backbones mobilenet_v2 random_resnet50]

Images: the six scikit-image photos and eight generated scenes, each resized to a size that is
not a multiple of the stride (odd sizes, landscape and portrait); batched by 2, so that some
images are padded. For each backbone: masks kept by each path, and the IoU of every mask with
its counterpart (same rank), the share of pairs with IoU >= 0.95, and score differences.
"""
import argparse
import math
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

from mmfreesolo.demo.photos import write_photos  # noqa: E402
from mmfreesolo.engine.free_mask_labelling import build_free_mask  # noqa: E402
from mmfreesolo.pseudo_labels.image_records import list_images  # noqa: E402
from mmfreesolo.pseudo_labels.images_to_label import ImagesToLabel  # noqa: E402
from mmfreesolo.scenes import generate_scenes  # noqa: E402
from reference import free_mask_reference  # noqa: E402

# (H, W) the images are resized to before Free Mask's own resize
ODD_SIZES = [(333, 517), (517, 333), (401, 601), (299, 450), (480, 353), (250, 375), (355, 481),
             (203, 307), (611, 409), (128, 201), (190, 131), (287, 433), (377, 251), (451, 677)]


def configs():
    mobilenet = Config.fromfile(osp.join(ROOT, 'configs/free_mask/'
                                         'freemask_mobilenetv2_scenes_cpu.py'))
    resnet = Config.fromfile(osp.join(ROOT, 'configs/free_mask/freemask_r50_coco.py'))
    resnet.model.backbone_checkpoint = None   # random weights: no DenseCL file offline
    resnet.model.score_thr = 0.0              # keep everything, so that every mask is compared
    return {'mobilenet_v2': mobilenet, 'random_resnet50': resnet}


def images(folder):
    paths = write_photos(osp.join(folder, 'photos'))
    generate_scenes(osp.join(folder, 'scenes'), num_train=8, num_val=0, image_size=(128, 128))
    paths += [r.path for r in list_images(osp.join(folder, 'scenes', 'train'))]
    odd = osp.join(folder, 'odd')
    os.makedirs(odd)
    for path, (h, w) in zip(paths, ODD_SIZES):
        name = osp.basename(osp.dirname(path)) + '_' + osp.basename(path)
        cv2.imwrite(osp.join(odd, name), cv2.resize(cv2.imread(path), (w, h),
                                                    interpolation=cv2.INTER_AREA))
    return list_images(odd)


def compare(cfg, records, batch_size):
    torch.manual_seed(0)
    model = build_free_mask(cfg)
    dataset = ImagesToLabel(records, cfg.test_pipeline)
    params = {k: cfg.model[k] for k in ('query_scales', 'mask_thr', 'min_cells', 'max_per_img',
                                        'min_center_y', 'max_width_ratio', 'score_thr',
                                        'emb_dim')}
    ours = theirs = 0
    ious, score_diffs, odd_inputs = [], [], 0
    fast = slow = 0.0
    for start in range(0, len(dataset), batch_size):
        items = [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
        batch = pseudo_collate([i['sample'] for i in items])
        with torch.no_grad():
            data = model.data_preprocessor(batch, False)
            features = model.extract_feat(data['inputs'])
            begin = time.perf_counter()
            outputs = model.predict_from_features(features, data['inputs'].shape[-2:],
                                                  data['data_samples'])
            fast += time.perf_counter() - begin
        stride = data['inputs'].shape[-1] / features.shape[-1]
        for feature, out in zip(features, outputs):
            odd_inputs += any(v % stride for v in out.img_shape)
            h = math.ceil(out.img_shape[0] / stride)
            w = math.ceil(out.img_shape[1] / stride)
            begin = time.perf_counter()
            ref = free_mask_reference(feature[:, :h, :w].double().numpy(), out.ori_shape,
                                      sigma=cfg.model.nms_sigma, **params)
            slow += time.perf_counter() - begin
            pred = out.pred_instances
            ours += len(pred)
            theirs += len(ref)
            for k in range(min(len(pred), len(ref))):
                a, b = pred.masks[k].numpy(), ref[k]['mask']
                union = (a | b).sum()
                ious.append((a & b).sum() / union if union else 1.0)
                score_diffs.append(abs(float(pred.scores[k]) - ref[k]['score']))
    ious = np.array(ious)
    return dict(ours=ours, theirs=theirs, pairs=len(ious), odd=odd_inputs,
                min_iou=ious.min() if len(ious) else float('nan'),
                share_095=(ious >= 0.95).mean() if len(ious) else float('nan'),
                mean_iou=ious.mean() if len(ious) else float('nan'),
                max_score_diff=max(score_diffs, default=0.0), fast=fast, slow=slow)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--backbones', nargs='+', default=['mobilenet_v2', 'random_resnet50'])
    parser.add_argument('--batch-size', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as folder:
        records = images(folder)
        print(f'{len(records)} images (6 photos, 8 scenes) at odd sizes, batches of '
              f'{args.batch_size}')
        for name in args.backbones:
            cfg = configs()[name]
            r = compare(cfg, records, args.batch_size)
            print(f'{name}: input {cfg.test_pipeline[1].scale}, score_thr '
                  f'{cfg.model.score_thr}; {r["odd"]} of {len(records)} network inputs not a '
                  'multiple of the stride')
            print(f'  masks kept: batched {r["ours"]}, reference {r["theirs"]}; '
                  f'{r["pairs"]} pairs: IoU min {r["min_iou"]:.4f}, mean {r["mean_iou"]:.4f}, '
                  f'>= 0.95 for {100 * r["share_095"]:.1f} %; largest score difference '
                  f'{r["max_score_diff"]:.2e}')
            print(f'  post-backbone time: batched {r["fast"]:.2f} s, reference {r["slow"]:.1f} s',
                  flush=True)


if __name__ == '__main__':
    main()
