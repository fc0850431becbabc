"""Free Mask speed and memory with ResNet-50 on the CPU.

    python benchmarks/free_mask_speed.py [--images 8] [--batch-size 4] [--threads 2]

1. At 800x1216 (network input), the time of everything after the backbone (similarity, soft
   masks, Matrix NMS, upsampling, filters, embeddings) against the backbone's own time.
2. Images/s of the batched path against the straightforward per-image reference of the tests
   (tests/free_mask/reference.py) and against the same code at batch size 1.
3. Peak memory of tools/free_mask.py's loop at 800x1333, after each batch (flat = no growth).

The ResNet-50 is randomly initialised (no DenseCL weights offline); the costs measured do not
depend on the weights' values.
"""
import argparse
import math
import os
import os.path as osp
import resource
import sys
import tempfile
import time

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tests', 'free_mask'))

from mmfreesolo.engine.free_mask_labelling import build_free_mask  # noqa: E402
from mmfreesolo.pseudo_labels.image_records import list_images  # noqa: E402
from mmfreesolo.pseudo_labels.images_to_label import ImagesToLabel, keep_list  # noqa: E402
from mmfreesolo.pseudo_labels.labelling import label_batch  # noqa: E402
from mmfreesolo.scenes import generate_scenes  # noqa: E402
from reference import free_mask_reference  # noqa: E402


def rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def r50_config(scale):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/free_mask/freemask_r50_coco.py'))
    cfg.model.backbone_checkpoint = None
    cfg.test_pipeline[1].scale = scale
    return cfg


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--images', type=int, default=8)
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--reference-images', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as root, torch.no_grad():
        generate_scenes(osp.join(root, 'a'), args.images, 0, (800, 1216), seed=0)
        generate_scenes(osp.join(root, 'b'), args.images, 0, (800, 1333), seed=1)

        cfg = r50_config((1216, 800))
        model = build_free_mask(cfg)
        items = list(ImagesToLabel(list_images(osp.join(root, 'a', 'train')),
                                   cfg.test_pipeline))
        batches = [items[i:i + args.batch_size] for i in range(0, len(items), args.batch_size)]
        model.test_step(pseudo_collate([i['sample'] for i in batches[0]]))  # warm-up
        backbone = post = 0.0
        for batch in batches:
            data = model.data_preprocessor(pseudo_collate([i['sample'] for i in batch]), False)
            start = time.perf_counter()
            features = model.extract_feat(data['inputs'])
            backbone += time.perf_counter() - start
            start = time.perf_counter()
            model.predict_from_features(features, data['inputs'].shape[-2:],
                                        data['data_samples'])
            post += time.perf_counter() - start
        print(f'[1] ResNet-50, {len(items)} images of 800x1216, batch {args.batch_size}, '
              f'{args.threads} threads')
        print(f'    backbone {backbone / len(items):.3f} s/image, after the backbone '
              f'{post / len(items):.3f} s/image = {100 * post / backbone:.1f} % of the backbone')

        def throughput(batch_size):
            start = time.perf_counter()
            for i in range(0, len(items), batch_size):
                label_batch(model, items[i:i + batch_size])
            return len(items) / (time.perf_counter() - start)

        batched = throughput(args.batch_size)
        single = throughput(1)
        start = time.perf_counter()
        for item in items[:args.reference_images]:
            data = model.data_preprocessor(pseudo_collate([item['sample']]), False)
            feature = model.extract_feat(data['inputs'])[0]
            sample = data['data_samples'][0]
            h, w = math.ceil(sample.img_shape[0] / 32), math.ceil(sample.img_shape[1] / 32)
            free_mask_reference(feature[:, :h, :w].double().numpy(), sample.ori_shape)
        reference = args.reference_images / (time.perf_counter() - start)
        print(f'[2] images/s: batched (batch {args.batch_size}) {batched:.3f}, same code at '
              f'batch 1 {single:.3f} ({batched / single:.2f}x), per-image reference '
              f'{reference:.4f} ({batched / reference:.1f}x)')

        cfg = r50_config((1333, 800))
        model = build_free_mask(cfg)
        loader = DataLoader(ImagesToLabel(list_images(osp.join(root, 'b', 'train')),
                                          cfg.test_pipeline),
                            batch_size=args.batch_size, collate_fn=keep_list)
        peaks = []
        for batch in loader:
            label_batch(model, batch)
            peaks.append(peak_mb())
        print(f'[3] 800x1333, batch {args.batch_size}: peak RSS after each batch (MB): '
              + ', '.join(f'{p:.0f}' for p in peaks) + f'; current RSS {rss_mb():.0f} MB')
        print(f'    input of one batch: {tuple(batch[0]["sample"]["inputs"].shape)} per image')


if __name__ == '__main__':
    main()
