"""Why the demo trains its comparison rows in a second process (``demo.parallel``): a training
step of the demo's rounds with all of torch's threads, with one, and with one in each of two
processes side by side (CPU).

    python benchmarks/thread_split.py [--config configs/freesolo_r18_gn_scenes_cpu.py]
        [--steps 40] [--threads 2]

The steps train on generated scenes (32, their ground-truth masks as the labels: the step's cost
does not depend on where the labels came from; 8 batches loaded once and cycled), batch and
pipeline as the config's; each setting runs in a fresh process, and two warm-up steps are not
counted.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(ROOT, 'configs', 'freesolo_r18_gn_scenes_cpu.py')


def seconds_per_step(config: str, scenes: str, steps: int) -> float:
    """Mean seconds of ``steps`` training steps of ``config`` on ``scenes`` (this process)."""
    import torch
    from mmengine.runner import Runner

    sys.path.insert(0, ROOT)
    from mmfreesolo.fileio.configs import load_config

    cfg = load_config(config)
    cfg.work_dir = tempfile.mkdtemp()
    cfg.train_dataloader.dataset.update(data_root=scenes + os.sep,
                                        ann_file='annotations/instances_train.json')
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg', 'test_dataloader',
                'test_evaluator', 'test_cfg'):
        cfg[key] = None
    cfg.custom_hooks = []
    cfg.pop('self_training', None)
    cfg.model.backbone.init_cfg = None
    runner = Runner.from_cfg(cfg)
    model = runner.model
    loader = iter(runner.train_dataloader)
    batches = [next(loader) for _ in range(8)]  # loaded once: the steps are timed, not the data
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    model.train()
    for i in range(steps + 2):
        if i == 2:
            start = time.perf_counter()
        data = model.data_preprocessor(batches[i % len(batches)], True)
        loss, _ = model.parse_losses(model(**data, mode='loss'))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps


def worker(args, threads: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, '--worker', '--config', args.config, '--scenes', args.scenes,
         '--steps', str(args.steps)], stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, OMP_NUM_THREADS=str(threads)))


def result(process: subprocess.Popen) -> float:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f'a worker failed (exit {process.returncode})')
    return float(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--steps', type=int, default=40)
    parser.add_argument('--threads', type=int, default=2, help='all of torch\'s threads')
    parser.add_argument('--scenes', help='generated scenes (default: made in a temp dir)')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(seconds_per_step(args.config, args.scenes, args.steps), flush=True)
        return
    if not args.scenes:
        sys.path.insert(0, ROOT)
        from mmfreesolo.scenes import generate_scenes
        args.scenes = osp.join(tempfile.mkdtemp(), 'scenes')
        generate_scenes(args.scenes, 32, 4)
    all_threads = result(worker(args, args.threads))
    one = result(worker(args, 1))
    pair = [worker(args, 1), worker(args, 1)]
    side_by_side = [result(p) for p in pair]
    print(f'{osp.basename(args.config)}, mean of {args.steps} steps (s/step):')
    print(f'  {args.threads} threads, alone:          {all_threads:.3f}')
    print(f'  1 thread, alone:            {one:.3f}')
    print(f'  1 thread, two side by side: {side_by_side[0]:.3f} and {side_by_side[1]:.3f}')
    work = sum(1 / t for t in side_by_side) * all_threads
    print(f'steps per second, two 1-thread processes against one {args.threads}-thread one: '
          f'{work:.2f}x')


if __name__ == '__main__':
    main()
