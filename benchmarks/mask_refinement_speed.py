"""Time and peak memory of AffinityMaskRefinement per image, at the generated scenes' 128 px and
at COCO's typical 640 x 480, for a number of masks (CPU, or --device cuda).

    python benchmarks/mask_refinement_speed.py [--masks 4 20] [--repeats 5] [--device cpu]
"""
import argparse
import os.path as osp
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmfreesolo.pseudo_labels.mask_refinement import AffinityMaskRefinement  # noqa: E402


def case(height, width, num_masks, seed=0):
    """A noisy image of coloured rectangles and, per rectangle, a mask shifted off it."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 40, (height, width, 3), dtype=np.uint8)
    masks = torch.zeros(num_masks, height, width, dtype=torch.bool)
    for i in range(num_masks):
        h, w = rng.integers(height // 8, height // 3), rng.integers(width // 8, width // 3)
        y, x = rng.integers(0, height - h), rng.integers(0, width - w)
        image[y:y + h, x:x + w] += rng.integers(60, 200, 3, dtype=np.uint8)
        masks[i, max(y - 3, 0):y + h - 3, x + 2:x + w + 2] = True
    return image, masks


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--masks', type=int, nargs='+', default=[4, 20])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args()
    refinement = AffinityMaskRefinement()
    print(f'{refinement.settings()}, {torch.get_num_threads()} thread(s), {args.device}')
    print('| image | masks | ms an image (median of repeats) |')
    print('|---|---|---|')
    for height, width in ((128, 128), (480, 640)):
        for num_masks in args.masks:
            image, masks = case(height, width, num_masks)
            masks = masks.to(args.device)
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                refinement.refine_masks(masks, image)
                if args.device.startswith('cuda'):
                    torch.cuda.synchronize()
                times.append(time.perf_counter() - start)
            print(f'| {width} x {height} | {num_masks} | {1000 * np.median(times):.1f} |')
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'peak resident memory of the process: {peak:.0f} MB')


if __name__ == '__main__':
    main()
