"""Segment P/R/F1 bars and frame ROC curves of test results (Figure 4).

Each result dir is what ``tools/test.py ... --out-dir X`` writes:
``X/metrics.json`` gives the segment precision, recall and F1 at the
threshold fitted on normal validation data (grouped bars, one group per
dir); ``X/frame_scores.csv`` gives the frame scores and labels from which
the frame-level ROC is drawn: micro (all videos pooled), raw scores, the
area under it in the legend (the headline ``auc_micro``).

Example::

    python tools/analysis/plot_results.py results/convae_ped2 \
        results/memae_ped2 --names Conv-AE MemAE \
        --out-prf prf.png --out-roc roc.png
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cbad.evaluation.functional import (roc_auc, roc_curve,  # noqa: E402
                                        window_labels)
from cbad.evaluation.metrics.frame_table import (  # noqa: E402
    output_paths, read_frame_scores)
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402

#: metrics.json keys of the bars and their labels.
PRF_KEYS = (('seg_precision', 'precision'), ('seg_recall', 'recall'),
            ('seg_f1', 'F1'))


def read_result_dir(out_dir: str) -> Tuple[dict, dict, Dict[str, tuple]]:
    """``(metrics, protocol, videos)`` of one ``tools/test.py --out-dir``.

    ``videos`` maps each video to its frame (scores, labels).

    Raises:
        FileNotFoundError: If a file is missing.
        KeyError: If metrics.json lacks a segment P/R/F1 key.
    """
    paths = output_paths(out_dir)
    missing = [p for p in paths.values() if not osp.isfile(p)]
    if missing:
        raise FileNotFoundError(
            f'{out_dir!r} lacks {[osp.basename(p) for p in missing]}; '
            'expected the files `tools/test.py CONFIG CKPT --out-dir '
            f'{out_dir}` writes.')
    with open(paths['json']) as f:
        payload = json.load(f)
    metrics = payload.get('metrics', {})
    absent = [k for k, _ in PRF_KEYS if metrics.get(k) is None]
    if absent:
        raise KeyError(f'{paths["json"]} has no {absent} under "metrics"; '
                       f'found {sorted(metrics)}. Re-test with a labelled '
                       'split and a fitted threshold.')
    return metrics, payload.get('protocol', {}), read_frame_scores(
        paths['csv'])


def abnormal_segment_share(videos: Dict[str, tuple], protocol: dict) -> float:
    """Share of abnormal segments: the precision of flagging every one.

    Segments are laid and labelled as the metric does (``segment_len``,
    ``segment_stride``, ``segment_label_rule`` of the protocol).
    """
    labels = [window_labels(lab, protocol.get('segment_len', 16),
                            protocol.get('segment_stride', 4),
                            protocol.get('segment_label_rule', 'majority'))
              for _, lab in videos.values()]
    return float(np.concatenate(labels).mean())


def plot_prf(metrics: Dict[str, dict], base_rates: Dict[str, float],
             out: str, dpi: int = 100) -> None:
    """Grouped bars: one group per result, one bar per P/R/F1 key.

    A dotted line over each group marks its share of abnormal segments,
    the precision that flagging every segment would reach (recall 1).
    """
    names = list(metrics)
    x = np.arange(len(names))
    width = 0.8 / len(PRF_KEYS)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(names) + 1.5), 3.4))
    for i, (key, label) in enumerate(PRF_KEYS):
        values = [metrics[n][key] for n in names]
        bars = ax.bar(x + (i - (len(PRF_KEYS) - 1) / 2) * width, values,
                      width, label=label)
        ax.bar_label(bars, fmt='%.2f', fontsize=6, padding=1)
    ax.hlines([base_rates[n] for n in names], x - 0.45, x + 0.45,
              colors='k', linestyles=':', lw=1,
              label='abnormal share (flag all)')
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel('segment level (16/4 windows)', fontsize=8)
    ax.set_title('Segment precision / recall / F1 at the fitted threshold',
                 fontsize=9)
    ax.legend(fontsize=7, ncols=len(PRF_KEYS) + 1, loc='lower right')
    ax.grid(axis='y', alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)


def plot_roc(videos: Dict[str, Dict[str, tuple]], out: str,
             dpi: int = 100) -> Dict[str, float]:
    """Frame-level micro ROC (videos pooled) of each result on raw scores.

    Args:
        videos (dict): Result name -> video -> (scores, labels).

    Returns:
        dict: name -> the AUC written in the legend (``roc_auc``).
    """
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    aucs = {}
    for name, per_video in videos.items():
        scores, labels = (np.concatenate(v) for v in zip(*per_video.values()))
        fpr, tpr, _ = roc_curve(scores, labels)
        aucs[name] = roc_auc(scores, labels)
        ax.plot(fpr, tpr, lw=1.2, label=f'{name} (AUC {aucs[name]:.3f})')
    ax.plot([0, 1], [0, 1], color='grey', lw=0.8, ls='--')
    ax.set_xlabel('false positive rate')
    ax.set_ylabel('true positive rate')
    ax.set_title('Frame-level ROC (micro, raw scores)', fontsize=9)
    ax.legend(fontsize=7, loc='lower right')
    ax.set_aspect('equal')
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return aucs


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dirs', nargs='+',
                        help='dirs written by tools/test.py --out-dir')
    parser.add_argument('--names', nargs='+',
                        help='one name per dir (default: dir names)')
    parser.add_argument('--out-prf', help='PNG of the P/R/F1 bars')
    parser.add_argument('--out-roc', help='PNG of the ROC curves')
    parser.add_argument('--dpi', type=int, default=100)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if not (args.out_prf or args.out_roc):
        raise SystemExit('Nothing to write: give --out-prf, --out-roc or '
                         'both.')
    names: List[str] = args.names or [
        osp.basename(osp.abspath(d)) for d in args.out_dirs]
    if len(names) != len(args.out_dirs) or len(set(names)) != len(names):
        raise SystemExit(f'--names needs one distinct name per dir: '
                         f'{len(names)} names for {len(args.out_dirs)} dirs.')
    results = {n: read_result_dir(d) for n, d in zip(names, args.out_dirs)}
    if args.out_prf:
        plot_prf({n: r[0] for n, r in results.items()},
                 {n: abnormal_segment_share(r[2], r[1])
                  for n, r in results.items()}, args.out_prf, args.dpi)
        print(args.out_prf)
    if args.out_roc:
        plot_roc({n: r[2] for n, r in results.items()}, args.out_roc,
                 args.dpi)
        print(args.out_roc)


if __name__ == '__main__':
    sys.exit(run_cli(main))
