"""The whole pipeline on an embedded default, into one folder: generated scenes (scored) and the
photos bundled with scikit-image (drawn), Free Mask, FreeSOLO rounds 1 and 2, each stage
evaluated class-agnostically on the val scenes and drawn on the same images, and beside them a
supervised upper bound: the same detector and schedule trained on the scenes' ground truth.

    OUT/config.py                 the config it ran, every path resolved
    OUT/scenes/, OUT/photos/      the data
    OUT/work/                     tools/self_train.py's work dir (summary.json, summary.png, ...)
    OUT/work/supervised/          the supervised upper bound's work dir (val_metrics.json, ...)
    OUT/work/compare_<i>/         the work dir of each comparison row
    OUT/ap_table.{json,md}        class-agnostic val AP of each stage, in order
    OUT/pictures/<image>.png      per image: ground truth | Free Mask | round 1 | round 2
    OUT/pictures/<stage>/<image>.png   each stage's overlay alone

The config's ``demo`` section sizes it: ``dict(num_train, num_val, num_pictures, photos (True,
or the names of the photos to draw),
supervised=dict(config, cfg_options), comparisons=[...])`` (no ``supervised``: no upper bound;
``comparisons``: rows of other pipelines, see :mod:`.comparisons`; ``parallel=True``: those
rows and the bound train in a second process beside the pipeline, each process with half of
torch's threads, their output in ``OUT/work/comparisons.log``, their rows handed over in
``OUT/work/comparison_rows.json``, see :mod:`.second_process`).
With a pretraining stage (``self_training.pretrain``) the demo pretrains first, and the upper
bound starts from the same pretrained backbone when the rounds do.
Stopped and started again with the same arguments, it continues (self-training resumes).
"""
from __future__ import annotations

import copy
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import torch

from ..engine.free_mask_labelling import build_free_mask, free_mask_refinement
from ..engine.model_labelling import build_trained_model
from ..engine.runners.stage_log_runner import quiet_mmengine_console
from ..engine.self_training import SelfTraining, train_and_evaluate
from ..errors import UserInputError
from ..evaluation.reporting import REPORTED_METRICS, format_table, format_value
from ..fileio.configs import load_config
from ..fileio.images import read_image
from ..fileio.json_files import read_json, write_json_atomic
from ..pseudo_labels.image_records import ImageRecord, list_images
from ..pseudo_labels.images_to_label import inference_pipeline
from ..pseudo_labels.labelling import label_images
from ..pseudo_labels.prediction_selection import PredictionSelection
from ..scenes import generate_scenes
from ..visualization.label_pictures import annotations_to_instances
from ..visualization.stage_pictures import draw_panel, side_by_side
from .comparisons import check_comparisons, comparison_rows, table_row
from .photos import write_photos
from .second_process import SecondProcess

STAGE_TITLES = {'free_mask': 'Free Mask', 'round_1': 'FreeSOLO round 1',
                'round_2': 'FreeSOLO round 2'}
SUPERVISED = 'supervised upper bound'


def prepare_data(out_dir: str, scenes: str, settings: dict) -> None:
    """Generated scenes (once: they are deterministic) and the photos."""
    if not osp.isfile(osp.join(scenes, 'annotations', 'instances_val.json')):
        print(f'== generating {settings["num_train"]} train and {settings["num_val"]} val '
              f'scenes into {scenes}', flush=True)
        generate_scenes(scenes, settings['num_train'], settings['num_val'])
    photos = settings.get('photos', True)
    if photos:  # True: every bundled photo; a list: those named
        write_photos(osp.join(out_dir, 'photos'), *([] if photos is True else [photos]))


def ap_table(summary: dict) -> List[dict]:
    """One row per stage, in pipeline order: its val metrics."""
    return [table_row(STAGE_TITLES.get(s['stage'], s['stage']), s['val'])
            for s in summary['stages']]


def stage_verdicts(rows: Sequence[dict]) -> List[str]:
    """One line per stage after the first: whether it improved on the stage before it, on mask
    AP and mask AP50 as the table shows them ('improved': both higher; 'worse': both lower;
    'no different': both equal; else 'mixed')."""
    lines = []
    for before, after in zip(rows, rows[1:]):
        gains = [after[k] - before[k] for k in ('mask AP', 'mask AP50')
                 if after[k] is not None and before[k] is not None]
        if len(gains) < 2:
            lines.append(f'{after["stage"]} not scored: no comparison with {before["stage"]}')
            continue
        gains = [round(g, 3) for g in gains]  # as the table shows them
        if all(g == 0 for g in gains):
            verdict = 'no different from'
        elif all(g > 0 for g in gains):
            verdict = 'improved on'
        elif all(g < 0 for g in gains):
            verdict = 'WORSE than'
        else:
            verdict = 'mixed against'
        lines.append(f'{after["stage"]} {verdict} {before["stage"]}: ' + ', '.join(
            f'{k} {format_value(after[k])} vs {format_value(before[k])}'
            for k in ('mask AP', 'mask AP50')))
    return lines


def format_markdown(rows: Sequence[dict]) -> str:
    return format_table(['stage'] + [name for _, name in REPORTED_METRICS],
                        [[row['stage']] + [format_value(row[name]) for _, name in REPORTED_METRICS]
                         for row in rows], markdown=True)


class DemoPipeline:
    """Run (or continue) the demo of ``config`` into ``out_dir``; ``prepare=False``: the data
    and ``config.py`` are already there (the second process)."""

    def __init__(self, config: str, out_dir: str, prepare: bool = True) -> None:
        self.config = config
        self.out_dir = osp.abspath(out_dir)
        os.makedirs(self.out_dir, exist_ok=True)
        self.scenes = osp.join(self.out_dir, 'scenes')
        os.environ['MMFREESOLO_SCENES'] = self.scenes + os.sep  # read by the CPU configs
        quiet_mmengine_console()  # the console shows the demo's stage lines and warnings
        self.cfg = load_config(config)
        self.settings = self.cfg.get('demo')
        if not self.settings:
            raise UserInputError(f'{config}: the config has no demo section (see '
                                 'configs/demo/freesolo_demo_annotation_free_cpu.py)')
        check_comparisons(self.settings.get('comparisons', []))
        if prepare:
            prepare_data(self.out_dir, self.scenes, self.settings)
            self.cfg.dump(osp.join(self.out_dir, 'config.py'))

    def run(self) -> dict:
        training = SelfTraining(self.cfg, rounds=2, work_dir=osp.join(self.out_dir, 'work'))
        beside = self.start_second_process(training)
        try:
            summary = training.run()
            if beside is not None:
                print(f'== waiting for {beside.what} ({beside.log})', flush=True)
                beside.wait()
        finally:
            if beside is not None:
                beside.stop()
        rows = ap_table(summary)
        if beside is not None:
            rows += read_json(self.other_rows_file)
        else:
            rows += self.other_rows(training.rounds_backbone)
        bound = rows[-1] if rows[-1]['stage'] == SUPERVISED else None
        write_json_atomic(osp.join(self.out_dir, 'ap_table.json'), rows, indent=2)
        table = format_markdown(rows)
        with open(osp.join(self.out_dir, 'ap_table.md'), 'w') as f:
            f.write(table)
        print('\nclass-agnostic AP on the val scenes, per stage:\n' + table, flush=True)
        print('\n'.join(stage_verdicts(rows[:len(summary['stages'])])), flush=True)
        if bound and bound.get('mask AP'):
            last = summary['stages'][-1]['val']['segm_mAP']
            print(f'{STAGE_TITLES.get(summary["stages"][-1]["stage"])} / {SUPERVISED}, mask AP: '
                  f'{last / bound["mask AP"]:.2f}', flush=True)
        pictures = self.draw_pictures(training, summary)
        print(f'done: {len(pictures)} pictures in {osp.join(self.out_dir, "pictures")}, '
              f'AP table in {osp.join(self.out_dir, "ap_table.md")}', flush=True)
        return dict(summary=summary, ap_table=rows, pictures=pictures)

    @property
    def other_rows_file(self) -> str:
        """Where the second process hands its rows over."""
        return osp.join(self.out_dir, 'work', 'comparison_rows.json')

    def other_rows(self, rounds_backbone: Optional[str]) -> List[dict]:
        """The comparison rows, then the supervised upper bound's (trained, continued or read
        back); ``rounds_backbone``: the pretrained backbone the rounds start from, if any."""
        rows = comparison_rows(self.settings.get('comparisons', []),
                               osp.join(self.out_dir, 'work'),
                               osp.join(self.scenes, 'annotations', 'instances_val.json'),
                               osp.join(self.scenes, 'val'), self.cfg.randomness)
        bound = self.supervised_bound(rounds_backbone)
        if bound is not None:
            rows.append(table_row(SUPERVISED, bound))
        return rows

    def start_second_process(self, training: SelfTraining) -> Optional[SecondProcess]:
        """With ``demo.parallel``, the comparison rows and the bound started in a second
        process (after the pretraining when the bound starts from its backbone), each process
        with half of torch's threads."""
        if not self.settings.get('parallel') or not (self.settings.get('comparisons')
                                                     or self.settings.get('supervised')):
            return None
        threads = torch.get_num_threads() // 2
        if threads < 1:
            print('== demo.parallel: torch has one thread here, so the comparison rows run after '
                  'the pipeline', flush=True)
            return None
        if training.pretraining is not None and training.init_rounds:
            training.pretrain_stage()
        log = osp.join(self.out_dir, 'work', 'comparisons.log')
        os.makedirs(osp.dirname(log), exist_ok=True)
        if osp.isfile(self.other_rows_file):  # a previous run's: this run's process rewrites it
            os.remove(self.other_rows_file)
        print(f'== the comparison rows and the {SUPERVISED}: in a second process beside the '
              f'pipeline, {threads} torch thread(s) each; their progress in {log}', flush=True)
        return SecondProcess(_other_rows, (self.config, self.out_dir,
                                           training.rounds_backbone),
                             log, 'the comparison rows', threads=threads)

    def supervised_bound(self, pretrained: Optional[str]) -> Optional[dict]:
        """The demo's ``supervised`` config trained on the scenes' ground truth, with the demo's
        seed, in ``work/supervised`` (continued or read back like a round); its val metrics.
        When the rounds start from a pretrained backbone, the bound starts from it too."""
        settings = self.settings.get('supervised')
        if not settings:
            return None
        cfg = load_config(settings['config'])
        cfg.merge_from_dict(settings.get('cfg_options', {}))
        if pretrained:
            cfg.model.backbone.init_cfg = dict(type='BackboneCheckpoint', checkpoint=pretrained)
        cfg.work_dir = osp.join(self.out_dir, 'work', 'supervised')
        cfg.randomness = copy.deepcopy(self.cfg.randomness)
        # a Runner of its own beside the rounds': its logger and visualizer found by name
        cfg.experiment_name = 'supervised'
        if cfg.get('visualizer'):
            cfg.visualizer.name = 'supervised_visualizer'
        print(f'== {SUPERVISED}: {osp.basename(settings["config"])} on the scenes\' ground truth',
              flush=True)
        return train_and_evaluate(cfg)

    # pictures --------------------------------------------------------------------------------

    def picture_images(self) -> List[ImageRecord]:
        val = list_images(ann_file=osp.join(self.scenes, 'annotations', 'instances_val.json'),
                          img_root=osp.join(self.scenes, 'val'))
        records = val[:self.settings.get('num_pictures', 4)]
        photos = osp.join(self.out_dir, 'photos')
        if osp.isdir(photos):
            # ids past the scenes': no ground truth is found for them
            records += [ImageRecord(10**6 + r.id, 'photo_' + r.file_name, r.path)
                        for r in list_images(photos)]
        return records

    def stage_annotations(self, training: SelfTraining, summary: dict,
                          records: Sequence[ImageRecord]) -> Dict[str, List[Optional[list]]]:
        """Per stage (ground truth first), each picture image's annotations (None: no ground
        truth, or the image could not be read)."""
        gt = read_json(osp.join(self.scenes, 'annotations', 'instances_val.json'))
        by_image: Dict[int, list] = {img['id']: [] for img in gt['images']}
        for ann in gt['annotations']:
            by_image[ann['image_id']].append(ann)
        stages = {'ground truth': [by_image.get(r.id) for r in records]}

        print(f'== drawing every stage on {len(records)} images', flush=True)
        free_mask_cfg = training.free_mask_config()
        stages[STAGE_TITLES['free_mask']] = self._labels(
            build_free_mask(free_mask_cfg), records, free_mask_cfg.test_pipeline,
            refine=free_mask_refinement(free_mask_cfg))
        hook = training.labelling_hook()
        keep = PredictionSelection(hook.get('score_thr', 0.3), hook.get('max_per_img', 20),
                                   hook.get('max_width_ratio', 0.95))
        for r, stage in enumerate(summary['stages'][1:], start=1):
            cfg = training.round_config(r, makes_labels=False)
            model = build_trained_model(cfg, stage['checkpoint'], device='cpu')
            stages[STAGE_TITLES.get(stage['stage'], stage['stage'])] = self._labels(
                model, records, inference_pipeline(cfg), keep)
        return stages

    @staticmethod
    def _labels(model, records, pipeline, select=None, refine=None) -> List[Optional[list]]:
        return [result['annotations'] if result['skip'] is None else None
                for result in label_images(model, records, pipeline, select=select,
                                           refine=refine)]

    def draw_pictures(self, training: SelfTraining, summary: dict) -> List[str]:
        records = self.picture_images()
        stages = self.stage_annotations(training, summary, records)
        folder = osp.join(self.out_dir, 'pictures')
        written = []
        for i, record in enumerate(records):
            image = read_image(record.path)[..., ::-1]
            panels = []
            for title, found in stages.items():
                if found[i] is None:
                    label = 'photo (no ground truth)' if title == 'ground truth' else title
                    panel = draw_panel(image, label)
                else:
                    masks, boxes, scores = annotations_to_instances(found[i], image.shape[:2])
                    panel = draw_panel(image, title, masks, boxes,
                                       None if title == 'ground truth' else scores)
                panels.append(panel)
                stage_dir = osp.join(folder, title.lower().replace(' ', '_'))
                os.makedirs(stage_dir, exist_ok=True)
                name = osp.splitext(record.file_name.replace('/', '_'))[0] + '.png'
                cv2.imwrite(osp.join(stage_dir, name), panel[..., ::-1])
            target = osp.join(folder, name)
            cv2.imwrite(target, side_by_side(panels)[..., ::-1])
            written.append(target)
        return written


def _other_rows(config: str, out_dir: str, rounds_backbone: Optional[str]) -> None:
    """The second process's work: the demo's other rows, trained in their work dirs (or read
    back from there), handed over in ``work/comparison_rows.json``."""
    demo = DemoPipeline(config, out_dir, prepare=False)
    write_json_atomic(demo.other_rows_file, demo.other_rows(rounds_backbone), indent=2)
