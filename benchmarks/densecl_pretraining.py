"""Free Mask from a backbone pretrained by DenseCL on the scenes themselves, against the same
architecture randomly initialised and the supervised ImageNet MobileNetV2; over pretraining
seeds, with AP per checkpoint and the pretraining's throughput.

    python benchmarks/densecl_pretraining.py --out work_dirs/densecl_bench \
        [--seeds 0 1 2] [--iters 200] [--eval-every 50] [--num-train 256] [--stages 2 3]

For each seed, ``tools/pretrain.py configs/pretrain/densecl_r18_scenes_cpu.py`` runs for
``--iters`` iterations on the train scenes (the cosine schedule spans them), a checkpoint every
``--eval-every``; Free Mask (configs/free_mask/freemask_r18_densecl_scenes_cpu.py, ResNet stage
``--stages``: 2 = stride 16, 3 = stride 32) then labels the 48 val scenes from each checkpoint's
backbone and pycocotools scores them class-agnostically. Everything is written under --out; a
second run reuses finished pretrainings.
"""
import argparse
import os.path as osp
import statistics
import subprocess
import sys
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmfreesolo.checkpoints import export_backbone  # noqa: E402
from mmfreesolo.engine.free_mask_labelling import build_free_mask  # noqa: E402
from mmfreesolo.evaluation.class_agnostic_eval import evaluate_class_agnostic  # noqa: E402
from mmfreesolo.evaluation.class_agnostic_eval import load_coco_gt  # noqa: E402
from mmfreesolo.fileio.configs import load_config  # noqa: E402
from mmfreesolo.pseudo_labels.image_records import list_images  # noqa: E402
from mmfreesolo.pseudo_labels.labelling import label_images  # noqa: E402
from mmfreesolo.scenes import generate_scenes  # noqa: E402

PRETRAIN = osp.join(ROOT, 'configs/pretrain/densecl_r18_scenes_cpu.py')
FREE_MASK_R18 = osp.join(ROOT, 'configs/free_mask/freemask_r18_densecl_scenes_cpu.py')
FREE_MASK_MOBILENET = osp.join(ROOT, 'configs/free_mask/freemask_mobilenetv2_scenes_cpu.py')
METRICS = (('mAP', 'AP'), ('mAP_50', 'AP50'), ('AR@100', 'AR@100'))


def free_mask_metrics(cfg, records, gt) -> dict:
    model = build_free_mask(cfg)
    dets = [dict(ann, image_id=result['record'].id)
            for result in label_images(model, records, cfg.test_pipeline, batch_size=8)
            for ann in result['annotations']]
    stats = evaluate_class_agnostic(gt, dets, 'segm')
    return dict({name: stats[key] for key, name in METRICS}, masks=len(dets))


def r18_config(stage: int, checkpoint):
    cfg = load_config(FREE_MASK_R18)
    stages = stage + 1
    cfg.model.backbone.update(num_stages=stages, out_indices=(stage, ), frozen_stages=stages,
                              strides=(1, 2, 2, 2)[:stages], dilations=(1, ) * stages)
    cfg.model.backbone_checkpoint = checkpoint
    return cfg


def pretrain(work_dir: str, images: str, seed: int, iters: int, every: int) -> float:
    """Seconds the pretraining took (0 when it was there already)."""
    if osp.isfile(osp.join(work_dir, 'backbone.pth')):
        return 0.0
    begin = time.monotonic()
    subprocess.run([sys.executable, osp.join(ROOT, 'tools/pretrain.py'), PRETRAIN, '--images',
                    images, '--work-dir', work_dir, '--resume', '--cfg-options',
                    f'randomness.seed={seed}', f'train_cfg.max_iters={iters}',
                    f'param_scheduler.0.T_max={iters}', f'param_scheduler.0.end={iters}',
                    f'default_hooks.checkpoint.interval={every}',
                    'default_hooks.checkpoint.max_keep_ckpts=-1',
                    'default_hooks.logger.interval=50'], check=True, cwd=ROOT)
    return time.monotonic() - begin


def summary(rows) -> str:
    """median (min-max) of each metric over the rows."""
    parts = []
    for _, name in METRICS:
        values = [r[name] for r in rows]
        parts.append(f'{name} {statistics.median(values):.3f} ({min(values):.3f}-'
                     f'{max(values):.3f})')
    return ', '.join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--iters', type=int, default=200)
    parser.add_argument('--eval-every', type=int, default=50)
    parser.add_argument('--num-train', type=int, default=256)
    parser.add_argument('--num-val', type=int, default=48)
    parser.add_argument('--stages', type=int, nargs='+', default=[2], choices=[2, 3])
    args = parser.parse_args()

    scenes = osp.join(args.out, 'scenes')
    if not osp.isfile(osp.join(scenes, 'annotations', 'instances_val.json')):
        generate_scenes(scenes, args.num_train, args.num_val)
    val_ann = osp.join(scenes, 'annotations', 'instances_val.json')
    records = list_images(ann_file=val_ann, img_root=osp.join(scenes, 'val'))
    gt = load_coco_gt(val_ann)
    print(f'{args.num_train} train scenes (pretraining), {len(records)} val scenes (scored); '
          f'torch threads: {torch.get_num_threads()}', flush=True)

    mobilenet = free_mask_metrics(load_config(FREE_MASK_MOBILENET), records, gt)
    print(f'ImageNet MobileNetV2 (supervised), stage 16: {summary([mobilenet])}', flush=True)
    for stage in args.stages:
        rows = []
        for seed in args.seeds:
            torch.manual_seed(seed)
            rows.append(free_mask_metrics(r18_config(stage, None), records, gt))
        print(f'ResNet-18 random init, stage {stage}, seeds {args.seeds}: {summary(rows)}',
              flush=True)

    per_checkpoint = {}  # (stage, iteration) -> rows over seeds
    for seed in args.seeds:
        work = osp.join(args.out, f'pretrain_seed{seed}')
        seconds = pretrain(work, osp.join(scenes, 'train'), seed, args.iters, args.eval_every)
        if seconds:
            batch = load_config(PRETRAIN).train_dataloader.batch_size
            print(f'seed {seed}: {args.iters} iterations in {seconds:.0f} s '
                  f'({seconds / args.iters:.2f} s/iter, {args.iters * batch / seconds:.1f} '
                  f'images/s, {seconds / 60:.1f} wall-minutes on this machine)', flush=True)
        for iteration in range(args.eval_every, args.iters + 1, args.eval_every):
            backbone = osp.join(work, f'backbone_iter_{iteration}.pth')
            if not osp.isfile(backbone):
                export_backbone(osp.join(work, f'iter_{iteration}.pth'), backbone)
            for stage in args.stages:
                metrics = free_mask_metrics(r18_config(stage, backbone), records, gt)
                per_checkpoint.setdefault((stage, iteration), []).append(metrics)
                print(f'  seed {seed}, iter {iteration}, stage {stage}: {summary([metrics])}, '
                      f'{metrics["masks"]} masks', flush=True)

    print(f'\nFree Mask on {len(records)} val scenes, median (min-max) over pretraining seeds '
          f'{args.seeds}:')
    print(f'  ImageNet MobileNetV2 (supervised):  {summary([mobilenet])}')
    for (stage, iteration), rows in sorted(per_checkpoint.items()):
        print(f'  DenseCL R18, stage {stage}, iter {iteration:>4}: {summary(rows)}')
    for stage in args.stages:
        final = per_checkpoint[(stage, args.iters)]
        ratio = [r['AP'] / mobilenet['AP'] for r in final]
        print(f'stage {stage}, final: AP / MobileNetV2 AP = {statistics.median(ratio):.2f} '
              f'({min(ratio):.2f}-{max(ratio):.2f}); goal 1.5x and AP50 >= 0.166: median AP '
              f'{statistics.median(r["AP"] for r in final):.3f}, AP50 '
              f'{statistics.median(r["AP50"] for r in final):.3f}')


if __name__ == '__main__':
    main()
