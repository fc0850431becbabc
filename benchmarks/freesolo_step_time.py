"""Training-step time of FreeSOLOHead (projection + pairwise losses, colour similarity) against
mmdet's supervised SOLOV2Head (Dice) on the same model, batch, images and instances (CPU).

    python benchmarks/freesolo_step_time.py [--steps 10] [--batch-size 4] [--size 256]
"""
import argparse
import copy
import os.path as osp
import sys
import time

import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.structures import InstanceData

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmdet.structures.mask import mask2bbox  # noqa: E402

import mmfreesolo  # noqa: E402,F401


def batch(batch_size, size, objects, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(batch_size):
        image = torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8)
        masks = torch.zeros(objects, size, size, dtype=torch.bool)
        for i in range(objects):
            y, x = torch.randint(0, size // 2, (2, ), generator=gen).tolist()
            h, w = torch.randint(size // 10, size // 2, (2, ), generator=gen).tolist()
            masks[i, y:y + h, x:x + w] = True
        sample = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                             pad_shape=(size, size), scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(masks=BitmapMasks(masks.numpy(), size, size),
                                           labels=torch.zeros(objects, dtype=torch.long),
                                           bboxes=mask2bbox(masks))
        inputs.append(image)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def train_step(model, optimizer, data):
    start = time.perf_counter()
    prepared = model.data_preprocessor(data, training=True)
    losses = model.loss(prepared['inputs'], prepared['data_samples'])
    loss, _ = model.parse_losses(losses)  # as mmengine's train_step: logged values left out
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return time.perf_counter() - start


def interleaved_step_times(models, data, steps):
    """Median step time of each model, their steps alternating so that drift in the machine's
    speed hits both alike; two warm-up steps each are not counted."""
    optimizers = [torch.optim.SGD(m.parameters(), lr=1e-4, momentum=0.9) for m in models]
    times = [[] for _ in models]
    for i in range(steps + 2):
        for model, optimizer, record in zip(models, optimizers, times):
            model.train()
            elapsed = train_step(model, optimizer, data)
            if i >= 2:
                record.append(elapsed)
    return [sorted(t)[len(t) // 2] for t in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--objects', type=int, default=6)
    args = parser.parse_args()
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, 'configs/freesolo_mobilenetv2_scenes_cpu.py'))
    cfg.model.backbone.checkpoint = None
    data = batch(args.batch_size, args.size, args.objects)

    torch.manual_seed(0)
    freesolo = MODELS.build(cfg.model)
    supervised_cfg = copy.deepcopy(cfg.model)
    supervised_cfg.data_preprocessor.type = 'DetDataPreprocessor'
    supervised_cfg.data_preprocessor.pop('mask_stride')
    head = supervised_cfg.mask_head
    for key in ('loss_mask_avg', 'loss_pairwise'):
        head.pop(key)
    head.type = 'SOLOV2Head'
    head.loss_mask = dict(type='DiceLoss', use_sigmoid=True, loss_weight=3.0)
    torch.manual_seed(0)
    supervised = MODELS.build(supervised_cfg)

    t_sup, t_free = interleaved_step_times([supervised, freesolo], data, args.steps)
    print(f'batch {args.batch_size} x {args.size}x{args.size}, {args.objects} objects/image, '
          f'median of {args.steps} interleaved steps, {torch.get_num_threads()} threads')
    print(f'SOLOV2Head (Dice, supervised): {t_sup:.3f} s/step')
    print(f'FreeSOLOHead (projections + pairwise + colour similarity): {t_free:.3f} s/step '
          f'= {t_free / t_sup:.2f}x')


if __name__ == '__main__':
    main()
