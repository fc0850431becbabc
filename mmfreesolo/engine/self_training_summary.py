"""The summary of a self-training run: val AP after each stage and pseudo-label counts per
round, as a table, a JSON file and a small plot."""
from __future__ import annotations

import os.path as osp
from typing import List

from ..evaluation.reporting import REPORTED_METRICS, format_table, format_value
from ..fileio.json_files import write_json_atomic


def format_summary_table(summary: dict) -> str:
    """One row per stage: its training labels, val metrics and the labels it made."""
    header = ['stage', 'labels: masks used/in file, images'] + [
        name for _, name in REPORTED_METRICS] + ['labels made: masks, images']
    rows: List[List[str]] = []
    for stage in summary['stages']:
        made = stage.get('labels_made')
        used = stage.get('num_masks_used', stage['num_masks'])
        rows.append([stage['stage'], f'{used}/{stage["num_masks"]}, {stage["num_images"]}'] +
                    [format_value(stage.get('val', {}).get(key)) for key, _ in REPORTED_METRICS]
                    + [f'{made["num_masks"]}, {made["num_images"]}' if made else '-'])
    return format_table(header, rows)


def plot_summary(summary: dict, path: str) -> None:
    """Val mask/box AP per stage (left) and the pseudo-label masks each round trained on
    (right)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    stages = summary['stages']
    names = [s['stage'] for s in stages]
    fig, (ap_ax, count_ax) = plt.subplots(1, 2, figsize=(9, 3.2))
    if any('val' in s for s in stages):
        for key, label in REPORTED_METRICS[:5]:
            values = [s.get('val', {}).get(key) for s in stages]
            ap_ax.plot(names, [float('nan') if v is None else v for v in values], marker='o',
                       label=label)
        ap_ax.legend(fontsize=7)
    else:
        ap_ax.text(0.5, 0.5, 'no val set configured', ha='center', va='center')
    ap_ax.set_title('class-agnostic val AP', fontsize=9)
    ap_ax.tick_params(labelsize=8)
    rounds = stages[1:]
    round_names = [s['stage'] for s in rounds]
    count_ax.bar(round_names, [s['num_masks'] for s in rounds], color='lightgray',
                 label='in the label file')
    count_ax.bar(round_names, [s.get('num_masks_used', s['num_masks']) for s in rounds],
                 color='tab:gray', label='used (score >= min_score)')
    count_ax.legend(fontsize=7)
    count_ax.set_title('pseudo-label masks each round trained on', fontsize=9)
    count_ax.tick_params(labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_summary(summary: dict, work_dir: str) -> None:
    """``summary.json`` and ``summary.png`` in ``work_dir``; the table is printed."""
    write_json_atomic(osp.join(work_dir, 'summary.json'), summary, indent=2)
    plot_summary(summary, osp.join(work_dir, 'summary.png'))
    print(format_summary_table(summary))
    print(f'summary: {osp.join(work_dir, "summary.json")}, {osp.join(work_dir, "summary.png")}')
