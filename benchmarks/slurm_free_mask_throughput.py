"""Free Mask on the local Slurm cluster: throughput of 2 array tasks of 1 thread each against one
task of 1 thread on the same images, and how long the cluster takes to start.

    python benchmarks/slurm_free_mask_throughput.py [--images 960] [--repeats 2] [--starts 3]

The cluster (slurm/local_cluster.sh) is restarted from nothing --starts times, timed until its
node is idle. Each Free Mask run is `sbatch slurm/free_mask.sh` with CPUS_PER_TASK=1; its wall
time is that of the array in Slurm's accounting, from the first task's start to the last task's
end (whole seconds), so every task's start-up (about 6 s of imports and model) is counted. The
runs alternate (1, 2, 1, 2, ...); the labels of every run must be identical. The chunk size
splits the images into an even number of chunks, so that the two shards get as many images.

For scale, it first measures this machine: one MobileNetV2 forward at 512 px on one thread,
alone and with a second one running on the other core (two tasks can gain at most twice the
ratio of the two).
"""
import argparse
import json
import os
import os.path as osp
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmfreesolo.scenes import generate_scenes  # noqa: E402

CLUSTER = osp.join(ROOT, 'slurm', 'local_cluster.sh')
CONFIG = osp.join(ROOT, 'configs', 'free_mask', 'freemask_mobilenetv2_scenes_cpu.py')


def cluster(*args):
    return subprocess.run(['bash', CLUSTER, *args], check=True, capture_output=True, text=True)


def wait_ended(job_id):
    while True:
        states = subprocess.run(['sacct', '-n', '-X', '-P', '-j', job_id, '-o', 'State'],
                                capture_output=True, text=True).stdout.split()
        if states and all(s in ('COMPLETED', 'FAILED', 'CANCELLED') for s in states):
            return states
        time.sleep(0.5)


def array_wall_seconds(array_job):
    rows = subprocess.run(['sacct', '-n', '-X', '-P', '-j', array_job, '-o', 'Start,End'],
                          capture_output=True, text=True, check=True).stdout.split()
    spans = [[datetime.fromisoformat(t) for t in row.split('|')] for row in rows]
    return (max(e for _, e in spans) - min(s for s, _ in spans)).total_seconds()


PROBE = """
import time, torch, torchvision
torch.set_num_threads(1)
model, x = torchvision.models.mobilenet_v2().eval(), torch.randn(1, 3, 512, 512)
with torch.no_grad():
    model(x)
    start = time.perf_counter()
    for _ in range(20):
        model(x)
print((time.perf_counter() - start) / 20)
"""


def probe(parallel):
    procs = [subprocess.Popen([sys.executable, '-c', PROBE], stdout=subprocess.PIPE, text=True)
             for _ in range(parallel)]
    return [float(p.communicate()[0]) * 1000 for p in procs]


def free_mask_run(images, out, num_shards, work, chunk_size):
    log = osp.join(work, f'submit-{num_shards}.out')
    env = dict(os.environ, NUM_SHARDS=str(num_shards), CPUS_PER_TASK='1',
               LOG_DIR=osp.join(work, 'logs'))
    submitter = subprocess.run(
        ['sbatch', '--parsable', '--output', log, osp.join(ROOT, 'slurm', 'free_mask.sh'), CONFIG,
         out, '--images', images, '--workers', '0', '--chunk-size', str(chunk_size)],
        env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert wait_ended(submitter) == ['COMPLETED'], open(log).read()
    text = open(log).read()
    array_job = re.search(r'array_job=(\d+)', text).group(1)
    assert set(wait_ended(array_job)) == {'COMPLETED'}, text
    merge_job = re.search(r'merge_job=(\d+)', text)  # none for one shard
    if merge_job:
        assert set(wait_ended(merge_job.group(1))) == {'COMPLETED'}, text
    return array_wall_seconds(array_job)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--images', type=int, default=960)
    parser.add_argument('--chunk-size', type=int, default=8)
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--starts', type=int, default=3, help='timed cluster starts')
    args = parser.parse_args()
    if -(-args.images // args.chunk_size) % 2:
        parser.error('--images / --chunk-size must give an even number of chunks')

    alone, together = probe(1), probe(2)
    print(f'this machine: a MobileNetV2 forward (512 px, 1 thread) takes {alone[0]:.0f} ms '
          f'alone, {together[0]:.0f} and {together[1]:.0f} ms with another on the other core '
          f'(at most {2 * alone[0] / max(together):.2f}x from two tasks)')

    starts = []
    for _ in range(args.starts):
        cluster('stop', '--purge')
        begin = time.monotonic()
        cluster('start')
        starts.append(time.monotonic() - begin)
    print('cluster start until the node is idle (fresh state and database): '
          + ', '.join(f'{s:.1f} s' for s in starts))
    os.environ['SLURM_CONF'] = cluster('env').stdout.strip().split('=', 1)[1]
    os.environ['PATH'] = osp.dirname(sys.executable) + os.pathsep + os.environ['PATH']

    with tempfile.TemporaryDirectory() as work:
        generate_scenes(work, num_train=args.images, num_val=0, image_size=(128, 128), seed=0)
        images = osp.join(work, 'train')
        seconds = {1: [], 2: []}
        labels = []
        for repeat in range(args.repeats):
            for shards in (1, 2):
                out = osp.join(work, f'labels-{shards}-{repeat}.json')
                run = free_mask_run(images, out, shards, work, args.chunk_size)
                seconds[shards].append(run)
                print(f'{shards} task(s) x 1 thread: {args.images} images in {run:.0f} s, '
                      f'{args.images / run:.2f} images/s', flush=True)
                with open(out) as f:
                    labels.append(json.load(f))
        assert all(other == labels[0] for other in labels), 'the runs\' labels differ'
    ratios = [one / two for one, two in zip(seconds[1], seconds[2])]
    medians = statistics.median(seconds[1]) / statistics.median(seconds[2])
    print('speed-up of 2 tasks over 1, per repeat: ' + ', '.join(f'{r:.2f}x' for r in ratios)
          + f'; of the medians: {medians:.2f}x (identical labels)')


if __name__ == '__main__':
    main()
