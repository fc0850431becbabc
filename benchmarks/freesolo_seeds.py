"""FreeSOLO's CPU pipeline over seeds: Free Mask -> round 1 -> round 2, and the supervised upper
bound, per seed, on the demo's scenes.

    python benchmarks/freesolo_seeds.py --out work_dirs/seeds [--seeds 0 1 2]
        [--config configs/freesolo_mobilenetv2_scenes_cpu.py]
        [--supervised configs/solov2_mobilenetv2_scenes_cpu.py] [--rounds 2]
        [--ground-truth-labels] [--num-train 256] [--num-val 48] [--cfg-options k=v ...]

Seeds change the data order and the initialisation of the heads (``randomness.seed``), not the
data: the scenes (256 train, 48 val) and Free Mask's labels are made once and shared. Each seed
runs ``tools/self_train.py --rounds 2`` and ``tools/train.py``/``tools/test.py`` on the supervised
config in processes of their own, in ``OUT/seed_<s>/``; a finished seed is read back, not rerun.
Prints, per stage, the median and min-max over seeds of mask AP / AP50 / AP75, box AP / AP50,
AR@100 and labels per train scene, whether Free Mask < round 1 < round 2 held for every seed,
whether each step exceeds the spread over the seeds of the stage it reaches, and the ratio of
round 2 to the supervised bound. A seed whose masks collapsed (MaskCollapseHook stopped its run)
is named and left out of the FreeSOLO rows. ``--ground-truth-labels`` adds a row: the FreeSOLO
config (its detector, weak losses, schedule and the dataset's ``ignore_area``) trained once on the
train scenes' ground-truth masks as labels (scored 1), ``tools/train.py`` in
``OUT/seed_<s>/on_ground_truth``: how far that detector and those losses go on perfect labels;
then each stage's share of it, seed by seed.
"""
import argparse
import json
import os
import os.path as osp
import re
import statistics
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmfreesolo.evaluation.reporting import REPORTED_METRICS as METRICS  # noqa: E402
from mmfreesolo.evaluation.reporting import format_table  # noqa: E402
from mmfreesolo.scenes import generate_scenes  # noqa: E402


class Collapsed(Exception):
    """A run that MaskCollapseHook stopped: its seed is counted, not scored."""


def run(args, env, log):
    start = osp.getsize(log) if osp.isfile(log) else 0
    with open(log, 'a') as out:
        proc = subprocess.run([sys.executable] + args, cwd=ROOT, env=env, stdout=out,
                              stderr=subprocess.STDOUT)
    if proc.returncode:
        with open(log) as f:
            f.seek(start)
            collapsed = re.search(r'error: (the predicted masks collapsed.*)', f.read())
        if collapsed:
            raise Collapsed(collapsed.group(1))
        sys.exit(f'{" ".join(args)} failed (exit {proc.returncode}); see {log}')


def self_training(seed, out, env, config, rounds, cfg_options):
    """The seed's summary.json stages, keyed by stage name; :class:`Collapsed` if its masks
    collapsed (recorded in ``collapsed.txt``, read back as such)."""
    work = osp.join(out, f'seed_{seed}', 'self_train')
    summary = osp.join(work, 'summary.json')
    collapsed = osp.join(out, f'seed_{seed}', 'collapsed.txt')
    if osp.isfile(collapsed):
        with open(collapsed) as f:
            raise Collapsed(f.read())
    # a run asked for more rounds than it has continues (self_train.py reads the done ones back)
    if not osp.isfile(summary) or len(_stages(summary)) < rounds + 1:
        try:
            run(['tools/self_train.py', config, '--rounds', str(rounds), '--work-dir', work,
                 '--cfg-options', f'randomness.seed={seed}'] + cfg_options, env,
                osp.join(out, f'seed_{seed}', 'self_train.log'))
        except Collapsed as e:
            with open(collapsed, 'w') as f:
                f.write(str(e))
            raise
    return _stages(summary)


def _stages(summary):
    with open(summary) as f:
        return {s['stage']: s for s in json.load(f)['stages']}


def on_ground_truth(seed, out, env, config, name, cfg_options=()):
    """Val metrics of ``config`` trained with this seed on the train scenes' ground truth (the
    supervised config's own data; a FreeSOLO config's through ``cfg_options``), in
    ``OUT/seed_<s>/<name>``; a finished run is read back."""
    work = osp.join(out, f'seed_{seed}', name)
    metrics = osp.join(work, 'val_metrics.json')
    if not osp.isfile(metrics):
        log = osp.join(out, f'seed_{seed}', f'{name}.log')
        run(['tools/train.py', config, '--work-dir', work,
             '--cfg-options', f'randomness.seed={seed}'] + list(cfg_options), env, log)
        with open(osp.join(work, 'last_checkpoint')) as f:
            checkpoint = f.read().strip()
        start = osp.getsize(log)
        run(['tools/test.py', config, checkpoint, '--work-dir', osp.join(work, 'test')], env, log)
        with open(log) as f:
            f.seek(start)
            text = f.read()
        found = dict(re.findall(r'agnostic/(\w+_(?:mAP(?:_\d+)?|AR@100)): ([\d.]+)', text))
        with open(metrics, 'w') as f:
            json.dump({k: float(v) for k, v in found.items()}, f, indent=2)
    with open(metrics) as f:
        return json.load(f)


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return 'n/a'
    return f'{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--config', default='configs/freesolo_mobilenetv2_scenes_cpu.py')
    parser.add_argument('--supervised', default='configs/solov2_mobilenetv2_scenes_cpu.py',
                        help="'none' to skip the upper bound")
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--ground-truth-labels', action='store_true',
                        help='also train the FreeSOLO config on the ground truth as labels')
    parser.add_argument('--num-train', type=int, default=256)
    parser.add_argument('--num-val', type=int, default=48)
    parser.add_argument('--cfg-options', nargs='*', default=[],
                        help='passed to every FreeSOLO run (not to the supervised one)')
    args = parser.parse_args()

    out = osp.abspath(args.out)
    stage_names = ['free_mask'] + [f'round_{r}' for r in range(1, args.rounds + 1)]
    scenes = osp.join(out, 'scenes')
    if not osp.isfile(osp.join(scenes, 'annotations', 'instances_val.json')):
        generate_scenes(scenes, args.num_train, args.num_val)
    env = dict(os.environ, MMFREESOLO_SCENES=scenes + os.sep, PYTHONUNBUFFERED='1')

    stages, upper, on_truth, seconds, collapsed = {}, {}, {}, {}, {}
    for seed in args.seeds:
        os.makedirs(osp.join(out, f'seed_{seed}'), exist_ok=True)
        start = time.time()
        try:
            stages[seed] = self_training(seed, out, env, args.config, args.rounds,
                                         args.cfg_options)
        except Collapsed as e:
            collapsed[seed] = str(e)
            print(f'seed {seed}: stopped, {e}', flush=True)
        if args.supervised != 'none':
            upper[seed] = on_ground_truth(seed, out, env, args.supervised, 'supervised')
        if args.ground_truth_labels:
            on_truth[seed] = on_ground_truth(
                seed, out, env, args.config, 'on_ground_truth', args.cfg_options + [
                    # FreeMaskLabelDataset scores a mask without a score 1
                    'train_dataloader.dataset.ann_file=annotations/instances_train.json',
                    'train_dataloader.dataset.min_score=0.0',
                    'train_dataloader.dataset.ignore_score=None'])
        seconds[seed] = time.time() - start
        print(f'seed {seed}: {seconds[seed]:.0f} s (0 when read back)', flush=True)

    # per stage, the labels the next round trains on (those above that round's min_score); the
    # last round labels nothing
    per_scene = {}
    for seed, by_stage in stages.items():
        handed = [by_stage[f'round_{r}']['num_masks_used'] for r in range(1, args.rounds + 1)]
        per_scene[seed] = [m / args.num_train for m in handed] + [None]

    seeds = [s for s in args.seeds if s in stages]
    if collapsed:
        print(f'\nmasks collapsed (the run stopped) on seeds {sorted(collapsed)} of '
              f'{args.seeds}; the table is over the others')
    if not seeds:
        sys.exit('no seed trained to the end')
    rows = []
    for i, name in enumerate(stage_names):
        vals = [stages[s][name]['val'] for s in seeds]
        rows.append([name] + [spread([v.get(k) for v in vals]) for k, _ in METRICS]
                    + [spread([per_scene[s][i] for s in seeds])])
    if upper:
        rows.append(['supervised'] + [spread([upper[s].get(k) for s in args.seeds])
                                      for k, _ in METRICS] + ['(ground truth)'])
    if on_truth:
        rows.append(['FreeSOLO on ground truth'] + [
            spread([on_truth[s].get(k) for s in args.seeds]) for k, _ in METRICS]
            + ['(ground truth)'])
    over = f' (supervised: over {args.seeds})' if upper and collapsed else ''
    print(f'\nmedian (min-max) over seeds {seeds}{over}, {args.num_val} val scenes; '
          'labels/scene: those the next round trains on')
    print(format_table(['stage'] + [n for _, n in METRICS] + ['labels/scene'], rows,
                       markdown=True))

    for key, label in (('segm_mAP', 'mask AP'), ('segm_mAP_50', 'mask AP50'),
                       ('bbox_mAP', 'box AP')):
        held = [all(stages[s][a]['val'][key] < stages[s][b]['val'][key]
                    for a, b in zip(stage_names, stage_names[1:])) for s in seeds]
        print(f'{" < ".join(stage_names)} on {label}: '
              + ', '.join(f'seed {s} {"yes" if h else "NO"}' for s, h in zip(seeds, held)))
    # a step is told from seed noise when it exceeds the spread of the stage it reaches
    for key, label in (('segm_mAP', 'mask AP'), ('segm_mAP_50', 'mask AP50')):
        for a, b in zip(stage_names, stage_names[1:]):
            reached = [stages[s][b]['val'][key] for s in seeds]
            noise = max(reached) - min(reached)
            steps = [stages[s][b]['val'][key] - stages[s][a]['val'][key] for s in seeds]
            print(f'{b} - {a} on {label} vs {b}\'s spread {noise:.3f}: ' + ', '.join(
                f'seed {s} {d:+.3f} {"yes" if d > noise else "NO"}' for s, d in zip(seeds, steps)))
    if upper:
        ratios = [stages[s][stage_names[-1]]['val']['segm_mAP'] / upper[s]['segm_mAP']
                  for s in seeds if upper[s].get('segm_mAP')]
        print(f'{stage_names[-1]} / supervised mask AP: {spread(ratios)}')
    if on_truth:
        # whether the labels or the detector hold the rounds back: labels already near what the
        # config makes of perfect ones leave a round little to gain over them
        truth = [s for s in seeds if on_truth[s].get('segm_mAP')]
        for name in stage_names:
            ratios = [stages[s][name]['val']['segm_mAP'] / on_truth[s]['segm_mAP'] for s in truth]
            print(f'{name} / FreeSOLO on ground truth, mask AP: {spread(ratios)}; '
                  + ', '.join(f'seed {s} {r:.2f}' for s, r in zip(truth, ratios)))


if __name__ == '__main__':
    main()
