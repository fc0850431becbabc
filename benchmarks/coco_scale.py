"""COCO scale simulated: Free Mask's label files, their merge, the training dataset and the
self-training hook's label writing at 1k to 241,690 images, timed and measured.

    python benchmarks/coco_scale.py --out work_dirs/coco_scale \
        [--counts 1000 10000 50000 241690] [--shards 64] [--workers 4] [--ranks 2]
    python benchmarks/coco_scale.py --out work_dirs/coco_scale --pipeline 200

For each image count, a Free Mask run is synthesised as it lies on disk just before its files
are written: every chunk file of every shard (``<shard>.parts/chunk-*.json``, as
``label_chunks`` writes them), with COCO-like image sizes, masks per image drawn from what Free
Mask gave on the generated scenes, blob-shaped RLE masks and scores; no embeddings, as the
default configs write none (the file with 128-d embeddings asked for, and as format version 1
wrote it, are sized from the same labels). Then, each in a process of its own (peak RSS from
``wait4``):

- shards: ``write_label_file`` of each of the 64 shards, all chunks done (what the last step of
  a ``tools/free_mask.py --shard-id`` run does), one after the other in one process;
- merge: ``merge_shards`` of the 64 shards (what ``tools/merge_free_mask.py`` runs);
- dataset: ``FreeMaskLabelDataset`` built on the merged file in the main process, then read by
  ``--workers`` DataLoader workers (mmengine's serialised data list), each worker's private
  memory (USS: the pages it does not share with the main process) after reading its share;
- hook: ``write_label_file`` from ``--ranks`` gloo ranks over a round's chunks (what the
  self-training hook does at the end of a round), each rank's peak RSS.

``--pipeline N``: the R50 recipe against mmdet's SOLOv2 multi-scale recipe, over N generated
JPEGs at COCO sizes with the synthetic labels, in one process each, one thread: the train
pipeline (a dataloader worker's work) per image and its peak RSS, then the data preprocessor on
batches of 2 (the training device's work: for the recipe, the strong views, copy-paste and the
colour similarity), timed here on the CPU; then the strong view's blur and colour jitter alone.

Times are those of the work alone, measured inside each process after its imports (about 12 s
here), including the ``fsync`` of what it writes; each step starts after ``sync`` has flushed
the previous step's writes. Peak RSS includes the imports, given on their own as the first line
of the table.

The synthetic data: image sizes drawn from an approximation of COCO train2017's (not
measured here: COCO is not available offline; most images have a 640-pixel long side); masks
per image drawn from the histogram Free Mask gave on the 256 generated train scenes
(DenseCL ResNet-18, score_thr 0.5, at most 20: mean 11.4), the heavier of the two thresholds
measured (at the COCO config's 0.7 the mean is 2.1); blobs are random smooth shapes on a
stride-32 grid of the 1333x800-resized image, upsampled and thresholded as Free Mask's masks
are.
"""
import argparse
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmfreesolo.pseudo_labels.image_records import ImageRecord  # noqa: E402
from mmfreesolo.pseudo_labels.label_file import encode_embedding  # noqa: E402
from mmfreesolo.pseudo_labels.label_file_stream import dumps  # noqa: E402
from mmfreesolo.pseudo_labels.labelling import chunk_file  # noqa: E402
from mmfreesolo.pseudo_labels.shards import shard_path  # noqa: E402

# (width, height): share; an approximation of COCO train2017, where 640 x 480 dominates
IMAGE_SIZES = {(640, 480): 0.45, (640, 427): 0.25, (480, 640): 0.15, (427, 640): 0.10,
               (640, 640): 0.05}
# masks per image 0..20 on the 256 generated train scenes (Free Mask, DenseCL R18, score 0.5)
MASKS_PER_IMAGE = [1, 1, 6, 8, 9, 8, 13, 11, 15, 16, 17, 19, 18, 17, 21, 18, 18, 12, 22, 3, 3]
CHUNK_SIZE = 64
BLOBS_PER_SIZE = 256
EMBEDDINGS = 1024


def run_info(num_images):
    return dict(model=dict(type='FreeMask', note='synthetic, benchmarks/coco_scale.py'),
                checkpoint='checkpoints/densecl_r50_coco.pth', checkpoint_sha256='0' * 64,
                score_thr=0.5, num_images_simulated=num_images)


def records(num_images):
    return [ImageRecord(i + 1, f'train/{i + 1:012d}.jpg', f'/nonexistent/{i + 1:012d}.jpg')
            for i in range(num_images)]


def blob_annotations(rng):
    """Per image size, annotations (without score and emb) of random Free Mask-like blobs."""
    import torch
    import torch.nn.functional as F

    from mmfreesolo.structures import mask_to_annotation
    pool = {}
    for (w, h) in IMAGE_SIZES:
        scale = min(1333 / max(w, h), 800 / min(w, h))
        gh, gw = int(np.ceil(h * scale / 32)), int(np.ceil(w * scale / 32))
        anns = []
        while len(anns) < BLOBS_PER_SIZE:
            cy, cx = rng.uniform(0, gh), rng.uniform(0, gw)
            ry, rx = rng.uniform(0.7, gh / 2.5), rng.uniform(0.7, gw / 2.5)
            ys, xs = np.mgrid[0:gh, 0:gw]
            field = 1 - ((ys - cy) / ry) ** 2 - ((xs - cx) / rx) ** 2
            field += 0.4 * rng.standard_normal((gh, gw))
            grid = torch.as_tensor(field, dtype=torch.float32)[None, None]
            mask = F.interpolate(grid, size=(h, w), mode='bilinear', align_corners=False)[0, 0]
            mask = (mask > 0).numpy()
            if mask.sum() >= 16:
                anns.append(dict(category_id=1, **mask_to_annotation(mask)))
        pool[(w, h)] = anns
    return pool


def synthesise(out, num_images, num_shards, hook_parts, seed=0):
    """Chunk files of every shard of a Free Mask run into ``out`` (and hard links to them in
    ``hook_parts``, a round's run over the same images), as the default configs write them:
    no embeddings. Returns how many bytes longer the merged file of the same labels would be
    with 128-d embeddings (``model.emb_dim=128``, base64 float16), and as format version 1
    wrote it (embeddings as 6-decimal JSON numbers, float boxes and areas, ``json.dump``'s
    default separators)."""
    rng = np.random.default_rng(seed)
    pool = blob_annotations(rng)
    vectors = rng.standard_normal((EMBEDDINGS, 128)).astype(np.float32)
    # per embedding: its text as an extra key, now and in version 1
    emb_now = [len(',"emb":') + len(json.dumps(encode_embedding(v))) for v in vectors]
    emb_v1 = [len(', "emb": ') + len(json.dumps([round(float(x), 6) for x in v]))
              for v in vectors]
    # per blob: version 1's annotation text minus today's, without embeddings (the digits of
    # ids and score are the same in both), plus the separator between list elements
    v1_blob = {size: [len(json.dumps(v1_fields(a))) - len(dumps(now_fields(a))) + 1
                      for a in anns] for size, anns in pool.items()}
    sizes = list(IMAGE_SIZES)
    size_p = np.array(list(IMAGE_SIZES.values()))
    count_p = np.array(MASKS_PER_IMAGE, dtype=float) / sum(MASKS_PER_IMAGE)
    os.makedirs(hook_parts, exist_ok=True)
    with_emb, v1 = 0, 0
    for k, start in enumerate(range(0, num_images, CHUNK_SIZE)):
        parts = shard_path(out, k % num_shards, num_shards) + '.parts'
        os.makedirs(parts, exist_ok=True)
        images, annotations = [], {}
        for image_id in range(start + 1, min(start + CHUNK_SIZE, num_images) + 1):
            w, h = sizes[rng.choice(len(sizes), p=size_p)]
            images.append(dict(id=image_id, file_name=f'train/{image_id:012d}.jpg', height=h,
                               width=w))
            v1 += len(json.dumps(images[-1])) - len(dumps(images[-1])) + 1
            anns = []
            for b, e in zip(rng.integers(0, BLOBS_PER_SIZE, rng.choice(21, p=count_p)),
                            rng.integers(0, EMBEDDINGS, 21)):
                anns.append(dict(pool[(w, h)][b], score=round(float(rng.uniform(0.5, 1)), 6)))
                with_emb += emb_now[e]
                v1 += v1_blob[(w, h)][b] + emb_v1[e]
            annotations[str(image_id)] = anns
        path = chunk_file(parts, k)
        with open(path, 'w') as f:
            json.dump(dict(images=images, annotations=annotations, skipped=[], dropped={}), f)
        os.link(path, chunk_file(hook_parts, k))
    return with_emb, v1


def now_fields(blob):
    """A blob's annotation as the label file holds it (ids and score of any value)."""
    return dict(id=1, image_id=1, **blob, score=0.5)


def v1_fields(blob):
    """The same as format version 1 wrote it: box and area as floats."""
    return dict(now_fields(blob), bbox=[float(v) for v in blob['bbox']],
                area=float(blob['area']))


def run_measured(args, env=None):
    """Like ``subprocess.run``, but the child's own peak RSS (MB) from ``wait4``."""
    start = time.time()
    proc = subprocess.Popen([sys.executable] + args, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env)
    output = b''
    while True:
        chunk = proc.stdout.read(65536)
        if not chunk:
            break
        output += chunk
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = output.decode(errors='replace')
    if proc.returncode:
        sys.exit(f'{" ".join(args)} failed (exit {proc.returncode}):\n{text[-3000:]}')
    return time.time() - start, usage.ru_maxrss / 1024, text


# ----------------------------------------------------------------------------- child processes

def child_shards(out, num_images, num_shards):
    from mmfreesolo.pseudo_labels.labelling import write_label_file
    start = time.time()
    listed = records(num_images)
    for s in range(num_shards):
        write_label_file(None, listed, [], out, run_info(num_images), 'train', CHUNK_SIZE,
                         shard_id=s, num_shards=num_shards, progress=False)
    print(json.dumps(dict(work_s=time.time() - start)))


def child_merge(out):
    from mmfreesolo.pseudo_labels.shards import merge_shards
    start = time.time()
    merge_shards(out, remove=True)
    print(json.dumps(dict(work_s=time.time() - start)))


def child_hook(out, num_images):
    import torch.distributed as dist

    from mmfreesolo.pseudo_labels.labelling import write_label_file
    dist.init_process_group('gloo')
    start = time.time()
    write_label_file(None, records(num_images), [], out, run_info(num_images), 'train',
                     CHUNK_SIZE, progress=False)
    if dist.get_rank() == 0:
        print(json.dumps(dict(work_s=time.time() - start)), flush=True)
    dist.destroy_process_group()


def private_mb(_):
    """This process's private memory (USS) in MB: pages not shared with any other process."""
    with open('/proc/self/smaps_rollup') as f:
        fields = dict(re.findall(r'^(\w+):\s+(\d+) kB', f.read(), re.M))
    return (int(fields['Private_Clean']) + int(fields['Private_Dirty'])) / 1024


def child_dataset(labels, workers):
    import resource

    from mmdet.registry import DATASETS
    from mmengine.registry import init_default_scope
    from torch.utils.data import DataLoader

    import mmfreesolo  # noqa: F401
    init_default_scope('mmdet')
    start = time.time()
    dataset = DATASETS.build(dict(type='FreeMaskLabelDataset', ann_file=labels,
                                  data_prefix=dict(img=''), pipeline=[]))
    seconds = time.time() - start
    main_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    main_uss = private_mb(None)
    # each worker reads every image's data info of its share, then reports its private memory
    per_worker = {}
    loader = DataLoader(dataset, batch_size=64, num_workers=workers, collate_fn=private_mb)
    for k, mb in enumerate(loader):
        per_worker[k % workers] = max(per_worker.get(k % workers, 0), mb)
    print(json.dumps(dict(images=len(dataset), build_s=seconds, main_peak_mb=main_mb,
                          main_uss_mb=main_uss, worker_uss_mb=sorted(per_worker.values()))))


def child_pipeline(config, labels, img_root):
    """Every image of ``labels`` through the config's train pipeline (what a dataloader worker
    does), then the same batches of 2 through its data preprocessor (what the training device
    does: the recipe's strong views, copy-paste, normalisation, colour similarity), on this CPU
    and one thread; prints the seconds per image of each, and the peak RSS before the first
    image and after the pipeline's pass."""
    import resource

    import torch
    from mmdet.registry import DATASETS, MODELS
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    import mmfreesolo  # noqa: F401
    if config.startswith('mmdet::'):
        import mmdet
        config = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs',
                          config[len('mmdet::'):])
    cfg = Config.fromfile(config)
    init_default_scope('mmdet')
    torch.set_num_threads(1)
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(type='FreeMaskLabelDataset', ann_file=labels, data_root='',
                       data_prefix=dict(img=img_root), metainfo=dict(classes=('object', )))
    dataset = DATASETS.build(dataset_cfg)
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    count = len(dataset) // 2 * 2
    torch.manual_seed(0)
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    for i in range(count):
        dataset[i]
    pipeline_s = (time.perf_counter() - start) / count
    pipeline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    preprocessor_s = 0.0
    for i in range(0, count, 2):
        batch = pseudo_collate([dataset[i], dataset[i + 1]])
        start = time.perf_counter()
        preprocessor(batch, training=True)
        preprocessor_s += time.perf_counter() - start
    print(json.dumps(dict(images=count, pipeline_s=pipeline_s, before_mb=before_mb,
                          pipeline_peak_mb=pipeline_mb, preprocessor_s=preprocessor_s / count)))


def time_strong_view_transforms(repeats=5, calls=10):
    """The strong view's two costliest transforms on one 800 x 1066 float image, one thread:
    median and range over ``repeats`` of the mean of ``calls`` calls, in ms."""
    import statistics

    import torch
    from torchvision.transforms import v2
    torch.set_num_threads(1)
    image = torch.rand(3, 800, 1066, generator=torch.Generator().manual_seed(0))
    for name, transform in (('GaussianBlur(13, sigma 2)', v2.GaussianBlur(13, sigma=2.0)),
                            ('ColorJitter(0.4, 0.4, 0.4, 0.1)',
                             v2.ColorJitter(0.4, 0.4, 0.4, 0.1))):
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(calls):
                transform(image)
            runs.append((time.perf_counter() - start) / calls * 1000)
        print(f'{name} on an 800 x 1066 image, one thread: median {statistics.median(runs):.0f} '
              f'ms ({min(runs):.0f}-{max(runs):.0f} over {repeats} repeats of {calls} calls)')


def compare_pipelines(root, num_images):
    """The recipe's train pipeline against mmdet's SOLOv2 multi-scale one, same images."""
    import cv2

    from mmfreesolo.pseudo_labels.label_file_stream import LabelFileStream
    work = osp.join(root, 'pipeline')
    img_root = osp.join(work, 'images') + os.sep
    os.makedirs(img_root, exist_ok=True)
    rng = np.random.default_rng(0)
    pool = blob_annotations(rng)
    sizes = list(IMAGE_SIZES)
    count_p = np.array(MASKS_PER_IMAGE, dtype=float) / sum(MASKS_PER_IMAGE)
    images, annotations = [], {}
    for image_id in range(1, num_images + 1):
        w, h = sizes[rng.choice(len(sizes), p=list(IMAGE_SIZES.values()))]
        # smooth colour fields plus noise: decoding and augmenting cost what photos cost
        small = rng.integers(0, 256, (h // 32 + 1, w // 32 + 1, 3), dtype=np.uint8)
        image = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        image = np.clip(image + rng.normal(0, 12, image.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(osp.join(img_root, f'{image_id:012d}.jpg'), image)
        images.append(dict(id=image_id, file_name=f'{image_id:012d}.jpg', height=h, width=w))
        annotations[image_id] = [
            dict(pool[(w, h)][b], score=round(float(rng.uniform(0.5, 1)), 6))
            for b in rng.integers(0, BLOBS_PER_SIZE, max(1, rng.choice(21, p=count_p)))]
    labels = osp.join(work, 'labels.json')
    stream = LabelFileStream(labels)
    stream.add(images, annotations, [], 'synthetic')
    stream.write({})
    script = osp.abspath(__file__)
    results = {}
    for name, config in (('mmdet SOLOv2 ms-3x', 'mmdet::solov2/solov2_r50_fpn_ms-3x_coco.py'),
                         ('FreeSOLO R50 recipe', 'configs/freesolo_r50_coco.py')):
        _, _, text = run_measured([script, '--child', 'pipeline', config, labels, img_root],
                                  env=dict(os.environ, OMP_NUM_THREADS='1'))
        found = results[name] = last_json(text)
        print(f'{name} ({found["images"]} images, one thread): train pipeline '
              f'{found["pipeline_s"] * 1000:.1f} ms per image, peak RSS '
              f'{found["pipeline_peak_mb"]:.0f} MB ({found["before_mb"]:.0f} MB before the first '
              f'image); data preprocessor (the training device\'s work, on this CPU here) '
              f'{found["preprocessor_s"] * 1000:.1f} ms per image', flush=True)
    ref, ours = results.values()

    def ratio(key):
        return ours[key] / ref[key]

    def growth(result):
        return result['pipeline_peak_mb'] - result['before_mb']

    print(f'recipe / SOLOv2: train pipeline per image x{ratio("pipeline_s"):.2f}, its peak RSS '
          f'x{ratio("pipeline_peak_mb"):.2f} (growth over the images +{growth(ours):.0f} MB '
          f'against +{growth(ref):.0f} MB); data preprocessor per image on this CPU '
          f'x{ratio("preprocessor_s"):.2f}')
    time_strong_view_transforms()


# ----------------------------------------------------------------------------- the benchmark

def one_count(root, num_images, num_shards, workers, ranks):
    work = osp.join(root, f'n{num_images}')
    shutil.rmtree(work, ignore_errors=True)
    labels = osp.join(work, 'free_mask', 'train.json')
    hook_labels = osp.join(work, 'round_1', 'self_training_labels.json')
    row = dict(images=num_images)
    start = time.time()
    with_emb, v1_extra = synthesise(labels, num_images, num_shards, hook_labels + '.parts')
    row['synth_s'] = time.time() - start

    script = osp.abspath(__file__)
    _, row['shards_mb'], text = run_measured(
        [script, '--child', 'shards', labels, str(num_images), str(num_shards)])
    row['shards_s'] = last_json(text)['work_s']
    # every step starts with the disk idle: the previous step's writes flushed (in a real run the
    # shards are written on other nodes long before the merge)
    os.sync()
    _, row['merge_mb'], text = run_measured([script, '--child', 'merge', labels])
    row['merge_s'] = last_json(text)['work_s']
    row['file_mb'] = osp.getsize(labels) / 2 ** 20
    row['file_emb_mb'] = (osp.getsize(labels) + with_emb) / 2 ** 20
    row['file_v1_mb'] = (osp.getsize(labels) + v1_extra) / 2 ** 20

    os.sync()
    _, row['dataset_mb'], text = run_measured(
        [script, '--child', 'dataset', labels, str(workers)])
    found = last_json(text)
    row['dataset_s'] = found['build_s']
    row['worker_mb'] = max(found['worker_uss_mb'])

    os.sync()
    env = dict(os.environ, MASTER_ADDR='127.0.0.1', MASTER_PORT=str(29500 + num_images % 500),
               WORLD_SIZE=str(ranks))
    procs = []
    for rank in range(ranks):
        procs.append(subprocess.Popen(
            [sys.executable, script, '--child', 'hook', hook_labels, str(num_images)],
            cwd=ROOT, env=dict(env, RANK=str(rank), LOCAL_RANK=str(rank)),
            stdout=subprocess.PIPE if rank == 0 else subprocess.DEVNULL))
    text = procs[0].stdout.read().decode()
    peaks = []
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status):
            sys.exit('the hook label writing failed')
        peaks.append(usage.ru_maxrss / 1024)
    row['hook_s'] = last_json(text)['work_s']
    row['hook_mb'] = max(peaks)
    if osp.getsize(hook_labels) != osp.getsize(labels):
        sys.exit('the round file and the merged file should hold the same labels')
    shutil.rmtree(work)
    return row


def last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def baseline_mb():
    """Peak RSS of a process that only imports what the measured ones import."""
    _, mb, _ = run_measured(['-c', 'import torch.distributed, mmdet.datasets, mmfreesolo'])
    return mb


COLUMNS = [('images', '{:d}'), ('synth_s', '{:.0f}'), ('shards_s', '{:.1f}'),
           ('shards_mb', '{:.0f}'), ('merge_s', '{:.1f}'), ('merge_mb', '{:.0f}'),
           ('file_mb', '{:.0f}'), ('file_emb_mb', '{:.0f}'), ('file_v1_mb', '{:.0f}'),
           ('dataset_s', '{:.1f}'),
           ('dataset_mb', '{:.0f}'), ('worker_mb', '{:.0f}'), ('hook_s', '{:.1f}'),
           ('hook_mb', '{:.0f}')]


def print_table(rows, base):
    print(f'\npeak RSS in MB per process (a process that only imports: {base:.0f} MB); '
          'worker_mb: private memory of the busiest dataloader worker; times in s')
    print('| ' + ' | '.join(name for name, _ in COLUMNS) + ' |')
    print('|' + '---|' * len(COLUMNS))
    for row in rows:
        print('| ' + ' | '.join(fmt.format(row[name]) for name, fmt in COLUMNS) + ' |')
    if len(rows) > 1:
        # growth from 10k images (or the smallest count), where fixed costs no longer dominate
        first = next((row for row in rows if row['images'] == 10000), rows[0])
        last = rows[-1]
        print(f'\nfrom {first["images"]} to {last["images"]} images, per image:')
        for name in ('shards_s', 'merge_s', 'dataset_s', 'hook_s'):
            ratio = (last[name] / last['images']) / (first[name] / first['images'])
            print(f'  {name}: x{ratio:.2f}')
        for name in ('merge_mb', 'dataset_mb', 'worker_mb', 'hook_mb'):
            print(f'  {name}: {first[name]:.0f} -> {last[name]:.0f} MB')
        print(f'  label file / the same labels as version 1 wrote them (128 JSON numbers per '
              f'embedding): {last["file_mb"] / last["file_v1_mb"]:.2f} (with embeddings asked '
              f'for: {last["file_emb_mb"] / last["file_v1_mb"]:.2f})')


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--child':
        kind, rest = sys.argv[2], sys.argv[3:]
        {'shards': lambda: child_shards(rest[0], int(rest[1]), int(rest[2])),
         'hook': lambda: child_hook(rest[0], int(rest[1])),
         'merge': lambda: child_merge(rest[0]),
         'dataset': lambda: child_dataset(rest[0], int(rest[1])),
         'pipeline': lambda: child_pipeline(*rest)}[kind]()
        return
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True)
    parser.add_argument('--counts', type=int, nargs='+', default=[1000, 10000, 50000, 241690])
    parser.add_argument('--shards', type=int, default=64)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--ranks', type=int, default=2)
    parser.add_argument('--pipeline', type=int, default=0, metavar='N',
                        help='compare the train pipelines on N generated images instead')
    args = parser.parse_args()
    out = osp.abspath(args.out)
    if args.pipeline:
        compare_pipelines(out, args.pipeline)
        return
    base = baseline_mb()
    rows = []
    for count in args.counts:
        rows.append(one_count(out, count, args.shards, args.workers, args.ranks))
        print(json.dumps(rows[-1]), flush=True)
    print_table(rows, base)


if __name__ == '__main__':
    main()
