"""Segment-level (sliding-window) scores, labels and precision/recall/F1."""
from typing import Dict, List

import numpy as np

from cbad.structures import build_clip_index

__all__ = ['window_scores', 'window_labels', 'segment_prf']

WINDOW_LABEL_RULES = ('majority', 'any')


def _windows(num_frames: int, clip_len: int, stride: int) -> List[np.ndarray]:
    """Windows laid exactly as the dataset's clip index lays them.

    Each window's frame ids are de-duplicated (a padded short video has one
    window with its last frame repeated; the repeat counts once).
    """
    windows = build_clip_index(num_frames, clip_len, stride)
    if len(windows) == 1:
        return [np.unique(windows[0])]
    return windows


def _gather(values: np.ndarray, windows: List[np.ndarray]) -> np.ndarray:
    """Values of each window's frames, shape (S, T).

    Windows of a video at least a clip long all have T frames, so one fancy
    index gathers them; a padded short video has a single window.
    """
    if len(windows) == 1:
        return values[windows[0]][None]
    return values[np.stack(windows)]


def window_scores(frame_scores, clip_len: int, stride: int) -> np.ndarray:
    """Score of each sliding window: the mean of its frames' scores.

    Windows come from :func:`cbad.structures.build_clip_index`
    (starts 0, stride, ...; a last window aligned to the video end; a short
    video is one padded window). A frame repeated by padding counts once.

    Args:
        frame_scores (array-like): Scores of one video's frames.
        clip_len (int): Frames per window.
        stride (int): Frames between window starts.

    Returns:
        np.ndarray: float64 scores of shape (S,), one per window.

    Shape:
        frame_scores: (L,); output: (S,).
    """
    frame_scores = np.asarray(frame_scores, dtype=np.float64).reshape(-1)
    windows = _windows(frame_scores.size, clip_len, stride)
    return _gather(frame_scores, windows).mean(axis=1)


def window_labels(frame_labels, clip_len: int, stride: int,
                  rule: str = 'majority') -> np.ndarray:
    """0/1 label of each sliding window from its frames' labels.

    Args:
        frame_labels (array-like): 0/1 labels of one video's frames.
        clip_len (int): Frames per window.
        stride (int): Frames between window starts.
        rule (str): ``'majority'``: abnormal when strictly more than half of
            the window's distinct frames are abnormal (a tie is normal);
            ``'any'``: abnormal when any frame is. Defaults to ``'majority'``.

    Returns:
        np.ndarray: uint8 labels of shape (S,), aligned with
        :func:`window_scores`.
    """
    if rule not in WINDOW_LABEL_RULES:
        raise ValueError(f'rule must be one of {WINDOW_LABEL_RULES}, '
                         f'found {rule!r}.')
    frame_labels = np.asarray(frame_labels).reshape(-1)
    if not np.all(np.isin(frame_labels, [0, 1])):
        raise ValueError('frame labels must be 0 or 1, found '
                         f'{np.unique(frame_labels)[:10].tolist()}.')
    windows = _windows(frame_labels.size, clip_len, stride)
    labels = _gather(frame_labels.astype(np.int64), windows)  # S x T
    if rule == 'any':
        return labels.any(axis=1).astype(np.uint8)
    return (2 * labels.sum(axis=1) > labels.shape[1]).astype(np.uint8)


def segment_prf(scores, labels, threshold: float) -> Dict[str, float]:
    """Precision, recall and F1 of the rule ``score >= threshold``.

    Works on any unit (segments or frames). Undefined ratios are 0 by
    definition: precision is 0 when nothing is predicted abnormal, recall is
    0 when nothing is abnormal, and F1 is 0 when precision + recall is 0.

    Args:
        scores (array-like): Scores, larger = more abnormal.
        labels (array-like): 0/1 labels, same length.
        threshold (float): Decision threshold (e.g. the fitted delta).

    Returns:
        dict: ``precision``, ``recall``, ``f1`` as floats in [0, 1].
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if scores.shape != labels.shape:
        raise ValueError(f'found {scores.size} scores but {labels.size} '
                         'labels; expected one label per score.')
    if not np.isfinite(threshold):
        raise ValueError(f'threshold must be finite, found {threshold}.')
    if np.any(np.isnan(scores)):
        raise ValueError('scores contain NaN; they cannot be thresholded.')
    if not np.all(np.isin(labels, [0, 1])):
        raise ValueError('labels must be 0 or 1, found '
                         f'{np.unique(labels)[:10].tolist()}.')
    pred = scores >= threshold
    truth = labels.astype(bool)
    tp = int(np.sum(pred & truth))
    fp = int(np.sum(pred & ~truth))
    fn = int(np.sum(~pred & truth))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = (2 * precision * recall / (precision + recall)
          if precision + recall else 0.0)
    return dict(precision=float(precision), recall=float(recall),
                f1=float(f1))
