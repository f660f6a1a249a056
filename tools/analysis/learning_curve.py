"""AUC against training compute, and a label-free choice of checkpoint.

For every kept ``epoch_N.pth`` of one or more training runs (work dirs of
the same config, e.g. one per seed), this tool

1. fits the checkpoint's scorers and threshold (``tools/fit.py``; the
   network is untouched),
2. tests the fitted copy (``tools/test.py``: ``metrics.json`` and
   ``frame_scores.csv``, raw and per-video-normalised AUC),
3. measures a **label-free validation signal** on it
   (``tools/analysis/pseudo_anomaly_auc.py``: the AUC of object-level
   pseudo-anomalies in the normal validation videos against those videos;
   ``--signal`` picks the kind), and

writes ``curve.json`` / ``curve.csv`` with one row per (run, epoch) and a
plot ``curve.png``: AUC (raw and per-video-normalised, mean over the runs
with each run drawn faintly) and the signal against training steps. The
epoch the signal picks (highest mean signal over the runs; the earlier on a
tie) is marked; test labels never enter that choice. Each step's output is
kept under ``--out-dir``, so an interrupted call continues where it
stopped when run again.

Training compute is given as optimiser steps (from each checkpoint) and as
training seconds, summed from the step times mmengine logged
(``<timestamp>/vis_data/scalars.json``; a resumed run has several, the
later one wins where they overlap). Seconds depend on the machine and on
what else ran beside the training; steps do not.

Example::

    CBAD_DATA_ROOT=../shared/datasets python tools/analysis/learning_curve.py \
        configs/futurepred/futurepred_ped2.py work_dirs/lc_ffp_s0 \
        work_dirs/lc_ffp_s1 --epochs 2 6 12 18 --out-dir results/lc_ffp
"""
import argparse
import csv
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from plot_curves import read_scalars  # noqa: E402

from cbad.utils.checkpoint import load_checkpoint_file  # noqa: E402
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402
from cbad.utils.errors import UserInputError  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The AUC keys of ``metrics.json`` a row keeps.
AUC_KEYS = ('auc_micro', 'auc_micro_vidnorm', 'auc_macro')
CSV_FIELDS = ('run', 'epoch', 'steps', 'train_seconds', 'signal') + AUC_KEYS


def epoch_checkpoints(work_dir: str) -> Dict[int, str]:
    """``{epoch: path}`` of the ``epoch_N.pth`` files in ``work_dir``."""
    found = {}
    for path in glob.glob(osp.join(work_dir, 'epoch_*.pth')):
        match = re.fullmatch(r'epoch_(\d+)\.pth', osp.basename(path))
        if match:
            found[int(match.group(1))] = path
    return found


def step_seconds(work_dir: str) -> Dict[int, float]:
    """``{iteration: training seconds up to it}`` from the logged step times.

    Each logged record holds ``time``, the mean step time over its logging
    interval, at iteration ``iter``; the seconds up to a record are the sum
    of ``time * (iter - previous iter)``. Records of a resumed run's later
    ``scalars.json`` replace those of earlier ones at the same iteration.
    Empty if nothing was logged.
    """
    by_iter = {}
    paths = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    for path in paths:  # timestamps sort by time: later runs win
        for record in read_scalars(path):
            if 'time' in record and 'iter' in record:
                by_iter[int(record['iter'])] = float(record['time'])
    seconds, total, previous = {}, 0.0, 0
    for it in sorted(by_iter):
        total += by_iter[it] * (it - previous)
        previous = it
        seconds[it] = total
    return seconds


def seconds_at(seconds: Dict[int, float], steps: int) -> Optional[float]:
    """Training seconds at ``steps``: the last logged record at or before
    it, extended by that record's rate; None if nothing was logged."""
    logged = [it for it in seconds if it <= steps]
    if not logged:
        return None
    last = max(logged)
    rate = seconds[last] / last if last else 0.0
    return seconds[last] + rate * (steps - last)


def checkpoint_steps(path: str) -> int:
    """Optimiser steps recorded in a training checkpoint's ``meta``."""
    meta = load_checkpoint_file(path, map_location='cpu').get('meta') or {}
    if 'iter' not in meta:
        raise UserInputError(
            f'{path} has no meta.iter: not a checkpoint written by '
            "mmengine's CheckpointHook during training.")
    return int(meta['iter'])


def run_tool(args: List[str], log: str) -> None:
    """Run a cbad tool with this interpreter; its output goes to ``log``.

    Raises:
        RuntimeError: If the tool fails (the log's tail in the message).
    """
    with open(log, 'w') as f:
        done = subprocess.run([sys.executable] + args, cwd=ROOT, stdout=f,
                              stderr=subprocess.STDOUT)
    if done.returncode:
        with open(log) as f:
            tail = f.read()[-2000:]
        raise RuntimeError(f'`{" ".join(args)}` failed '
                           f'(status {done.returncode}); log {log}:\n{tail}')


def evaluate_checkpoint(config: str, checkpoint: str, out_dir: str,
                        signal: str, seed: int) -> Dict:
    """Fit, test and measure the signal of one checkpoint (kept on disk:
    steps already done are read back, not redone)."""
    os.makedirs(out_dir, exist_ok=True)
    fitted = osp.join(out_dir, 'fitted.pth')
    metrics = osp.join(out_dir, 'metrics.json')
    pseudo = osp.join(out_dir, 'pseudo_anomaly.json')
    if not osp.isfile(fitted):
        run_tool(['tools/fit.py', config, checkpoint, '--out', fitted +
                  '.part'], osp.join(out_dir, 'fit.log'))
        os.replace(fitted + '.part', fitted)
    if not osp.isfile(metrics):
        run_tool(['tools/test.py', config, fitted, '--out-dir', out_dir],
                 osp.join(out_dir, 'test.log'))
    if not osp.isfile(pseudo):
        run_tool([
            'tools/analysis/pseudo_anomaly_auc.py', config, fitted,
            '--kinds', signal, '--seed', str(seed), '--out', pseudo + '.part'
        ], osp.join(out_dir, 'pseudo_anomaly.log'))
        os.replace(pseudo + '.part', pseudo)
    with open(metrics) as f:
        numbers = json.load(f)['metrics']
    with open(pseudo) as f:
        kinds = json.load(f)['kinds']
    row = {key: float(numbers[key]) for key in AUC_KEYS if key in numbers}
    row['signal'] = float(kinds[signal]['auc'])
    return row


def choose_epoch(rows: Sequence[Dict]) -> int:
    """The epoch with the highest mean signal over the runs that reached
    it (the earlier of equals): the label-free choice of budget."""
    summary = summarise(rows)  # sorted by epoch: argmax takes the earlier
    return summary[int(np.argmax([s['signal'] for s in summary]))]['epoch']


def summarise(rows: Sequence[Dict]) -> List[Dict]:
    """Per epoch: mean and sample std over the runs of every number."""
    out = []
    for epoch in sorted({row['epoch'] for row in rows}):
        group = [r for r in rows if r['epoch'] == epoch]
        entry = dict(epoch=epoch, runs=len(group))
        for key in ('steps', 'train_seconds', 'signal') + AUC_KEYS:
            values = [r[key] for r in group if r.get(key) is not None]
            if values:
                entry[key] = float(np.mean(values))
                entry[key + '_std'] = (float(np.std(values, ddof=1))
                                       if len(values) > 1 else 0.0)
        out.append(entry)
    return out


def plot(rows: Sequence[Dict], summary: Sequence[Dict], chosen: int,
         title: str, path: str, target: Optional[float] = None) -> None:
    """AUCs and the signal against steps (``summary``: per-epoch means of
    ``rows``, each run drawn faintly when there are several); the chosen
    epoch marked, and a per-video-normalised ``target`` (in %) as a line if
    given."""
    runs = sorted({r['run'] for r in rows})
    fig, ax = plt.subplots(figsize=(7, 4.2))
    styles = dict(auc_micro=('raw micro AUC', 'C0'),
                  auc_micro_vidnorm=('per-video-normalised AUC', 'C1'),
                  signal=('label-free signal (validation)', 'C2'))
    for key, (label, color) in styles.items():
        for run in runs if len(runs) > 1 else []:
            points = sorted((r['steps'], r[key]) for r in rows
                            if r['run'] == run and r.get(key) is not None)
            if len(points) > 1:
                x, y = np.asarray(points).T
                ax.plot(x, 100 * y, color=color, alpha=0.25, lw=1)
        x = [s['steps'] for s in summary if key in s]
        y = [100 * s[key] for s in summary if key in s]
        ax.plot(x, y, marker='o', color=color, label=label,
                ls='--' if key == 'signal' else '-')
    pick = next(s for s in summary if s['epoch'] == chosen)
    ax.axvline(pick['steps'], color='0.4', ls=':',
               label=f'chosen by the signal: epoch {chosen}')
    if target is not None:
        ax.axhline(target, color='C1', ls=':', lw=1.5,
                   label=f'goal, per-video-normalised: {target:g}')
        bottom, top = ax.get_ylim()
        ax.set_ylim(bottom, max(top, target + 1))
    ax.set_xlabel('training steps')
    ax.set_ylabel('AUC (%)')
    ax.set_title(f'{title} ({len(runs)} run{"s" if len(runs) > 1 else ""})')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc='best')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='AUC against training compute over the checkpoints of '
        'one or more runs, and the checkpoint a label-free signal picks')
    parser.add_argument('config', help='the config the runs trained')
    parser.add_argument('work_dirs', nargs='+',
                        help='work dirs holding epoch_N.pth (one per seed)')
    parser.add_argument('--epochs', type=int, nargs='+',
                        help='epochs to evaluate (default: every kept '
                        'epoch_N.pth); an epoch a run lacks is skipped')
    parser.add_argument('--signal', default='object_faster',
                        help='pseudo-anomaly kind whose AUC on the normal '
                        'validation videos picks the checkpoint (default: '
                        'object_faster)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the pseudo-anomaly edits (default 0)')
    parser.add_argument('--out-dir', required=True,
                        help='per-checkpoint outputs, curve.json/csv/png')
    parser.add_argument('--title', help='plot title (default: config name)')
    parser.add_argument('--target', type=float,
                        help='draw this per-video-normalised AUC (in %%) as '
                        'the goal line, e.g. 92.4')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise UserInputError(f'config not found: {args.config}')
    rows = []
    for work_dir in args.work_dirs:
        found = epoch_checkpoints(work_dir)
        if not found:
            raise UserInputError(f'no epoch_N.pth in {work_dir}')
        epochs = sorted(found) if args.epochs is None else [
            e for e in args.epochs if e in found]
        seconds = step_seconds(work_dir)
        run = osp.basename(osp.normpath(work_dir))
        for epoch in epochs:
            steps = checkpoint_steps(found[epoch])
            row = dict(run=run, epoch=epoch, steps=steps,
                       train_seconds=seconds_at(seconds, steps))
            row.update(evaluate_checkpoint(
                args.config, found[epoch],
                osp.join(args.out_dir, run, f'epoch_{epoch}'), args.signal,
                args.seed))
            rows.append(row)
            print(f'{run} epoch {epoch}: ' + ', '.join(
                f'{k} {100 * row[k]:.1f}' for k in ('signal', ) + AUC_KEYS
                if k in row), flush=True)
    if not rows:
        raise UserInputError('none of --epochs is kept in any work dir.')
    summary, chosen = summarise(rows), choose_epoch(rows)
    result = dict(config=args.config, signal=args.signal, seed=args.seed,
                  chosen_epoch=chosen, rows=rows, summary=summary)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(osp.join(args.out_dir, 'curve.json'), 'w') as f:
        json.dump(result, f, indent=1)
    with open(osp.join(args.out_dir, 'curve.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS,
                                extrasaction='ignore')
        writer.writeheader()
        writer.writerows(rows)
    title = args.title or osp.splitext(osp.basename(args.config))[0]
    plot(rows, summary, chosen, title, osp.join(args.out_dir, 'curve.png'),
         args.target)
    print(f'chosen by {args.signal}: epoch {chosen}; wrote '
          f'{osp.join(args.out_dir, "curve.json")}, curve.csv, curve.png')


if __name__ == '__main__':
    sys.exit(run_cli(main))
