"""How the class-agnostic metrics are reported: the columns every table of the project shows,
and one table formatter (plain text or Markdown)."""
from __future__ import annotations

from typing import Optional, Sequence

# (key in a stage's metrics, column title), in the order every report shows them
REPORTED_METRICS = (('segm_mAP', 'mask AP'), ('segm_mAP_50', 'mask AP50'),
                    ('segm_mAP_75', 'mask AP75'), ('bbox_mAP', 'box AP'),
                    ('bbox_mAP_50', 'box AP50'), ('segm_AR@100', 'AR@100'))


def format_value(value: Optional[float]) -> str:
    return '-' if value is None else f'{value:.3f}'


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]],
                 markdown: bool = False) -> str:
    """A table of strings: columns padded to their width, or a Markdown table."""
    if markdown:
        lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
        lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
        return '\n'.join(lines) + '\n'
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return '\n'.join('  '.join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                     for row in [header, *rows])
