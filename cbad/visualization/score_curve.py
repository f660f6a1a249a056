"""Pictures of a scored video: the score curve, and a score bar per frame."""
from typing import Dict, Sequence

import cv2
import numpy as np
# a bare Figure draws to files without pyplot, so the user's backend is kept
from matplotlib.figure import Figure

__all__ = ['plot_score_curve', 'draw_score_bar']

#: BGR colours of the score bar: below and above the threshold.
BAR_NORMAL = (80, 200, 80)
BAR_ANOMALOUS = (40, 40, 230)


def plot_score_curve(path: str,
                     times: Sequence[float],
                     scores: Sequence[float],
                     threshold: float,
                     events: Sequence[Dict] = (),
                     truth_spans: Sequence[Dict] = (),
                     title: str = '',
                     xlabel: str = 'time (s)') -> None:
    """Save a plot of score against time with the threshold and events.

    Args:
        path (str): The image file to write (``.png``).
        times (array-like): (L,) x values (seconds, or frame ids).
        scores (array-like): (L,) frame scores.
        threshold (float): Drawn as a dashed line.
        events (list[dict]): Detected events (``start_time``, ``end_time``,
            :mod:`cbad.apis.events`), shaded red.
        truth_spans (list[dict]): Ground-truth abnormal spans, same keys,
            a green strip along the bottom.
        title (str): The plot's title.
        xlabel (str): The x axis label. Defaults to ``'time (s)'``.
    """
    times = np.asarray(times, dtype=float)
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    fig = Figure(figsize=(10, 3.2), dpi=100)
    ax = fig.subplots()
    # a span covers its last frame too: one frame period past end_time;
    # ground truth is a strip along the bottom, so overlaps stay readable
    for spans, colour, alpha, top, label in (
            (events, 'tab:red', 0.15, 1.0, 'detected event'),
            (truth_spans, 'tab:green', 0.5, 0.06, 'ground truth abnormal')):
        for i, span in enumerate(spans):
            ax.axvspan(span['start_time'], span['end_time'] + step,
                       ymax=top, color=colour, alpha=alpha, lw=0,
                       label=label if i == 0 else None)
    ax.plot(times, scores, color='tab:blue', lw=1, label='score')
    ax.axhline(threshold, color='k', ls='--', lw=1,
               label=f'threshold {threshold:.4g}')
    ax.set_xlabel(xlabel)
    ax.set_ylabel('anomaly score')
    ax.set_title(title, fontsize=10)
    if len(times):
        ax.set_xlim(times[0], times[-1] + step)
    ax.legend(loc='upper left', fontsize=8, framealpha=0.8)
    fig.tight_layout()
    fig.savefig(path)


def draw_score_bar(frame: np.ndarray, score: float,
                   threshold: float) -> np.ndarray:
    """Draw a score bar and the score on a copy of a frame.

    The bar along the top edge is filled to ``score / threshold`` (full at
    the threshold), green below it and red when the frame is anomalous
    (``score > threshold``).

    Args:
        frame (np.ndarray): uint8 BGR (H, W, 3).
        score (float): The frame's score.
        threshold (float): The detector's threshold.

    Returns:
        np.ndarray: The annotated copy.
    """
    out = np.ascontiguousarray(frame).copy()
    height, width = out.shape[:2]
    anomalous = score > threshold
    fill = score / threshold if threshold > 0 else float(anomalous)
    bar_h = max(4, height // 30)
    cv2.rectangle(out, (0, 0), (width - 1, bar_h), (40, 40, 40), -1)
    cv2.rectangle(out, (0, 0),
                  (int(round((width - 1) * min(max(fill, 0.0), 1.0))), bar_h),
                  BAR_ANOMALOUS if anomalous else BAR_NORMAL, -1)
    text = f'{score:.4g}' + (' ANOMALY' if anomalous else '')
    scale = max(0.35, height / 600)
    origin = (4, bar_h + int(18 * scale / 0.5))
    for colour, thickness in (((0, 0, 0), 3), ((255, 255, 255), 1)):
        cv2.putText(out, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale,
                    colour, thickness, cv2.LINE_AA)
    return out
