"""Which MobileNetV2 feature map and Free Mask options? Measured on generated val scenes.

    python benchmarks/free_mask_feature_choice.py [--num-val 48] [--size 128] \
        [--stages 13 16] [--inputs 256 384] [--thrs 0.7 0.5] \
        [--upsampling stretch cells] [--filters release tight]

For each stage of torchvision's ImageNet MobileNetV2 (stride 16 or 32, before or after the
last 1x1 expansion), network input size, score threshold, upsampling and filters (FreeMask's
options), runs Free Mask over the val scenes and prints class-agnostic mask AP, AP50 and AR@100
(pycocotools, useCats=0).
"""
import argparse
import itertools
import os.path as osp
import sys
import tempfile

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmfreesolo.engine.free_mask_labelling import build_free_mask  # noqa: E402
from mmfreesolo.evaluation.class_agnostic_eval import evaluate_class_agnostic  # noqa: E402
from mmfreesolo.evaluation.class_agnostic_eval import load_coco_gt  # noqa: E402
from mmfreesolo.pseudo_labels.image_records import list_images  # noqa: E402
from mmfreesolo.pseudo_labels.labelling import label_images  # noqa: E402
from mmfreesolo.scenes import generate_scenes  # noqa: E402

STAGES = {10: 'stride 16, 64 ch', 13: 'stride 16, 96 ch', 16: 'stride 32, 160 ch',
          17: 'stride 32, 320 ch (before 1x1)', 18: 'stride 32, 1280 ch (after 1x1)'}


def detections(cfg, records):
    model = build_free_mask(cfg)
    return [dict(ann, image_id=result['record'].id)
            for result in label_images(model, records, cfg.test_pipeline, batch_size=8)
            for ann in result['annotations']]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--num-val', type=int, default=48)
    parser.add_argument('--size', type=int, default=128)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--stages', type=int, nargs='+', default=list(STAGES),
                        choices=list(STAGES))
    parser.add_argument('--inputs', type=int, nargs='+', default=[256, 384])
    parser.add_argument('--thrs', type=float, nargs='+', default=[0.7, 0.5])
    parser.add_argument('--upsampling', nargs='+', default=['stretch'],
                        choices=['stretch', 'cells'])
    parser.add_argument('--filters', nargs='+', default=['release'], choices=['release', 'tight'])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        ann = generate_scenes(root, 0, args.num_val, (args.size, args.size), args.seed)['val']
        records = list_images(ann_file=ann, img_root=osp.join(root, 'val'))
        gt = load_coco_gt(ann)
        base = Config.fromfile(osp.join(ROOT, 'configs/free_mask/'
                                        'freemask_mobilenetv2_scenes_cpu.py'))
        print(f'{args.num_val} val scenes of {args.size} px, seed {args.seed}')
        print(f'{"stage":>5} {"what":>30} {"input":>5} {"thr":>4} {"upsampling":>10} '
              f'{"filters":>7} {"masks":>6} {"AP":>6} {"AP50":>6} {"AR@100":>6}')
        for stage, scale, thr, upsampling, filters in itertools.product(
                args.stages, args.inputs, args.thrs, args.upsampling, args.filters):
            cfg = base.copy()
            cfg.model.backbone.out_indices = (stage, )
            cfg.model.update(score_thr=thr, upsampling=upsampling, filters=filters)
            cfg.test_pipeline[1].scale = (scale, scale)
            dets = detections(cfg, records)
            stats = evaluate_class_agnostic(gt, dets, 'segm')
            print(f'{stage:>5} {STAGES[stage]:>30} {scale:>5} {thr:>4} {upsampling:>10} '
                  f'{filters:>7} {len(dets):>6} {stats["mAP"]:6.3f} {stats["mAP_50"]:6.3f} '
                  f'{stats["AR@100"]:6.3f}', flush=True)


if __name__ == '__main__':
    main()
