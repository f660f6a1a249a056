"""Training loss terms per epoch from mmengine logs (the paper's Figure 3).

One subplot per loss key, one line per run (legend: the run's name). A run
is a work dir, whose newest ``<timestamp>/vis_data/scalars.json`` is read,
or a ``scalars.json`` itself. With ``--per epoch`` (the default) each point
is the mean of the values logged during that epoch (each logged value is
already mmengine's mean over its logging interval); with ``--per iter``
every logged value is drawn at its iteration. Lines without a key (e.g.
validation records) are skipped for that key.

Example::

    python tools/analysis/plot_curves.py work_dirs/cbad_ped2_cpu \
        --keys loss loss_ins loss_pro loss_tem \
        --out docs/_static/training_curves_ped2.png
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402

#: The x-axis field of each ``--per`` mode.
X_FIELDS = dict(epoch='epoch', iter='iter')


def find_scalars(path: str) -> str:
    """The ``scalars.json`` of a run: the file, or the newest in a work dir.

    The newest is the last ``<timestamp>/vis_data/scalars.json`` in name
    order (mmengine's timestamps sort by time); ``path/vis_data`` itself is
    also accepted.

    Raises:
        FileNotFoundError: If nothing is found.
    """
    if osp.isfile(path):
        return path
    found = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    found += glob.glob(osp.join(path, 'vis_data', 'scalars.json'))
    if not found:
        raise FileNotFoundError(
            f'No scalars.json for {path!r}: expected a scalars.json file or '
            'a work dir holding <timestamp>/vis_data/scalars.json (written '
            "by mmengine's LocalVisBackend during training).")
    return found[-1]


def run_name(path: str) -> str:
    """The work dir's name of a run given as a work dir or a scalars.json."""
    path = osp.abspath(path)
    if osp.isfile(path):  # <work_dir>/<timestamp>/vis_data/scalars.json
        path = osp.dirname(osp.dirname(osp.dirname(path)))
    return osp.basename(path.rstrip(os.sep))


def read_scalars(path: str) -> List[dict]:
    """The JSON records of a ``scalars.json`` (one object per line)."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def loss_series(records: Sequence[dict], key: str,
                per: str = 'epoch') -> Tuple[np.ndarray, np.ndarray]:
    """x and y of one logged key.

    Args:
        records (Sequence[dict]): Records of one ``scalars.json``.
        key (str): The logged key, e.g. ``'loss_ins'``.
        per (str): ``'epoch'``: one point per epoch, the mean of the values
            logged in it; ``'iter'``: every value at its iteration.
            Defaults to ``'epoch'``.

    Returns:
        tuple: ``(x, y)`` float arrays sorted by x; empty if no record has
        both ``key`` and the x field.
    """
    if per not in X_FIELDS:
        raise ValueError(f'per must be one of {sorted(X_FIELDS)}, got '
                         f'{per!r}.')
    x_field = X_FIELDS[per]
    points = [(r[x_field], r[key]) for r in records
              if key in r and x_field in r]
    if not points:
        return np.zeros(0), np.zeros(0)
    x, y = np.asarray(points, dtype=np.float64).T
    if per == 'epoch':
        epochs = np.unique(x)
        return epochs, np.array([y[x == e].mean() for e in epochs])
    order = np.argsort(x, kind='stable')
    return x[order], y[order]


def loss_keys(runs: Sequence[List[dict]]) -> List[str]:
    """Every ``loss*`` key logged by any run, ``loss`` (the total) first."""
    keys = {k for records in runs for r in records for k in r
            if k.startswith('loss')}
    return sorted(keys, key=lambda k: (k != 'loss', k))


def plot_curves(runs: 'OrderedDict[str, List[dict]]', keys: Sequence[str],
                per: str, out: str, dpi: int = 100) -> None:
    """Draw one subplot per key with one line per run and save ``out``."""
    cols = min(len(keys), 4)
    rows = -(-len(keys) // cols)
    fig, axes = plt.subplots(rows, cols, squeeze=False,
                             figsize=(3.2 * cols, 2.6 * rows))
    colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
    for ax, key in zip(axes.ravel(), keys):
        for i, (name, records) in enumerate(runs.items()):
            x, y = loss_series(records, key, per)
            if len(x):  # a run keeps its colour in every subplot
                ax.plot(x, y, marker='.' if len(x) < 40 else None,
                        color=colours[i % len(colours)], label=name)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel(per)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes.ravel()[len(keys):]:
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('runs', nargs='+',
                        help='work dirs or scalars.json files')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--keys', nargs='+',
                        help='logged keys (default: every loss* key)')
    parser.add_argument('--names', nargs='+',
                        help='legend names (default: work dir names)')
    parser.add_argument('--per', choices=sorted(X_FIELDS), default='epoch')
    parser.add_argument('--dpi', type=int, default=100)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if args.names and len(args.names) != len(args.runs):
        raise SystemExit(f'--names has {len(args.names)} names for '
                         f'{len(args.runs)} runs; give one per run.')
    paths = [find_scalars(p) for p in args.runs]
    names = args.names or [run_name(p) for p in paths]
    runs: Dict[str, List[dict]] = OrderedDict(
        (name, read_scalars(p)) for name, p in zip(names, paths))
    keys = args.keys or loss_keys(list(runs.values()))
    logged = {k for records in runs.values() for r in records for k in r}
    missing = [k for k in keys if k not in logged]
    if not keys or missing:
        raise SystemExit(f'No run logged {missing or "any loss* key"}; '
                         f'logged keys: {sorted(logged)}.')
    plot_curves(runs, keys, args.per, args.out, args.dpi)
    print(args.out)


if __name__ == '__main__':
    sys.exit(run_cli(main))
