"""Threshold-free ranking metrics: ROC AUC, ROC curve, AP and EER.

Pure numpy, so the metric, the fitting hook and offline tools compute the same
numbers. Convention everywhere: a larger score means "more abnormal", label 1
means abnormal, and a sample is predicted abnormal when ``score >= threshold``.
Every function returns plain fractions in [0, 1] (never percentages).
"""
from typing import Tuple

import numpy as np

__all__ = ['roc_auc', 'roc_curve', 'average_precision', 'equal_error_rate']


def _check_scores_labels(scores, labels, need_both: bool = True,
                         what: str = 'this metric'):
    """Validate and convert ``scores`` / ``labels`` to flat numpy arrays."""
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if scores.shape != labels.shape:
        raise ValueError(
            f'scores and labels must have the same length, found '
            f'{scores.size} scores and {labels.size} labels.')
    if scores.size == 0:
        raise ValueError(f'{what} needs at least one score, found none.')
    if not np.all(np.isfinite(scores)):
        bad = np.flatnonzero(~np.isfinite(scores))
        raise ValueError(
            f'scores must be finite, found {bad.size} NaN/inf values (first '
            f'at positions {bad[:10].tolist()}); fix the model output or '
            'drop those frames before scoring.')
    uniq = np.unique(labels)
    if not np.all(np.isin(uniq, [0, 1])):
        raise ValueError(
            f'labels must be 0 (normal) or 1 (abnormal), found values '
            f'{uniq[:10].tolist()}.')
    labels = labels.astype(bool)
    num_pos = int(labels.sum())
    num_neg = labels.size - num_pos
    if need_both and (num_pos == 0 or num_neg == 0):
        raise ValueError(
            f'{what} needs both normal (0) and abnormal (1) labels, found '
            f'only {"abnormal" if num_neg == 0 else "normal"} samples '
            f'({labels.size} of them); it is undefined for one class.')
    return scores, labels


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``; tied values share their average rank."""
    order = np.argsort(values, kind='mergesort')
    sorted_values = values[order]
    # Start of each run of equal values in the sorted order.
    is_start = np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    run_id = np.cumsum(is_start) - 1
    starts = np.flatnonzero(is_start)
    ends = np.r_[starts[1:], values.size]  # exclusive
    run_rank = (starts + 1 + ends) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = run_rank[run_id]
    return ranks


def roc_auc(scores, labels) -> float:
    """Area under the ROC curve (Mann-Whitney U statistic).

    Rank based, with tied scores given their average rank, so a tie between
    an abnormal and a normal sample counts one half (identical to
    ``sklearn.metrics.roc_auc_score``).

    Args:
        scores (array-like): Anomaly scores, larger = more abnormal.
        labels (array-like): 0 (normal) / 1 (abnormal), same length.

    Returns:
        float: AUC in [0, 1].

    Raises:
        ValueError: if only one class is present, lengths differ, labels are
            not 0/1 or a score is NaN/inf.

    Shape:
        scores, labels: (M,) (any shape is flattened).
    """
    scores, labels = _check_scores_labels(scores, labels, what='ROC AUC')
    num_pos = labels.sum()
    num_neg = labels.size - num_pos
    ranks = _average_ranks(scores)
    u_stat = ranks[labels].sum() - num_pos * (num_pos + 1) / 2.0
    return float(u_stat / (num_pos * num_neg))


def _binary_clf_curve(scores: np.ndarray, labels: np.ndarray):
    """Cumulative (fp, tp) counts at each distinct threshold, descending."""
    order = np.argsort(-scores, kind='mergesort')
    scores, labels = scores[order], labels[order]
    # Last position of each group of equal scores.
    last = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    tps = np.cumsum(labels)[last].astype(np.float64)
    fps = (last + 1) - tps
    return fps, tps, scores[last]


def roc_curve(scores, labels) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve at every distinct score.

    Same points as ``sklearn.metrics.roc_curve(..., drop_intermediate=False)``:
    the first point is (0, 0) with threshold ``+inf``; point ``i`` is the
    operating point of the rule ``score >= thresholds[i]``.

    Args:
        scores (array-like): Anomaly scores, larger = more abnormal.
        labels (array-like): 0 / 1 labels; both classes must be present.

    Returns:
        tuple(np.ndarray, np.ndarray, np.ndarray): ``fpr``, ``tpr`` and
        ``thresholds``, each of shape (U + 1,), U = number of distinct scores;
        thresholds strictly decreasing.
    """
    scores, labels = _check_scores_labels(scores, labels, what='ROC curve')
    fps, tps, thresholds = _binary_clf_curve(scores, labels)
    fpr = np.r_[0.0, fps / fps[-1]]
    tpr = np.r_[0.0, tps / tps[-1]]
    return fpr, tpr, np.r_[np.inf, thresholds]


def average_precision(scores, labels) -> float:
    """Average precision, the step-wise area under the precision-recall curve.

    ``AP = sum_n (R_n - R_{n-1}) * P_n`` over distinct thresholds in
    decreasing order, without interpolation: the definition of
    ``sklearn.metrics.average_precision_score``.

    Args:
        scores (array-like): Anomaly scores, larger = more abnormal.
        labels (array-like): 0 / 1 labels; at least one 1 is needed (with
            only abnormal samples AP is 1).

    Returns:
        float: AP in [0, 1].
    """
    scores, labels = _check_scores_labels(
        scores, labels, need_both=False, what='average precision')
    if not labels.any():
        raise ValueError(
            'average precision needs at least one abnormal (1) label, found '
            f'only normal samples ({labels.size}); it is undefined.')
    fps, tps, _ = _binary_clf_curve(scores, labels)
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def equal_error_rate(scores, labels) -> Tuple[float, float]:
    """Equal error rate: where the false-positive rate equals the miss rate.

    The ROC curve is taken as piecewise linear between its points (as for the
    AUC) and the EER is where it crosses ``fpr = 1 - tpr``; this is the usual
    ``brentq(lambda x: 1 - x - interp1d(fpr, tpr)(x), 0, 1)`` computed
    exactly. The threshold returned is that of the first ROC point at or past
    the crossing, i.e. the largest threshold with ``fnr <= fpr``, to be used
    as ``score >= threshold``.

    Args:
        scores (array-like): Anomaly scores, larger = more abnormal.
        labels (array-like): 0 / 1 labels; both classes must be present.

    Returns:
        tuple(float, float): ``(eer, threshold)``, eer in [0, 1].
    """
    fpr, tpr, thresholds = roc_curve(scores, labels)
    gap = fpr - (1.0 - tpr)  # -1 at (0, 0), +1 at (1, 1), non-decreasing
    i = int(np.argmax(gap >= 0))
    if gap[i] == 0:
        return float(fpr[i]), float(thresholds[i])
    t = -gap[i - 1] / (gap[i] - gap[i - 1])
    eer = fpr[i - 1] + t * (fpr[i] - fpr[i - 1])
    return float(eer), float(thresholds[i])
