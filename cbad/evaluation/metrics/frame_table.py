"""Assemble per-clip metric records into per-video frame scores and labels.

Helpers of :class:`VideoAnomalyMetric`, kept apart so offline tools can
re-use them on records loaded from disk.
"""
import csv
import json
import math
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from cbad.evaluation.functional import clip_to_frame_scores

__all__ = ['VideoFrames', 'drop_duplicate_records', 'records_to_frames',
           'write_frame_scores_csv', 'read_frame_scores', 'json_safe',
           'write_metrics_json', 'output_paths']


class VideoFrames(NamedTuple):
    """Frame scores (num_frames,) and labels (num_frames,) or None."""
    scores: np.ndarray
    labels: Optional[np.ndarray]


def drop_duplicate_records(records: Sequence[dict]) -> List[dict]:
    """Keep the first record of each (video, frame_indices) pair.

    A distributed sampler pads the last batch with repeated clips; mmengine
    normally truncates them, this guards the other paths.
    """
    seen, kept = set(), []
    for rec in records:
        key = (rec['video'], rec['frame_indices'].tobytes())
        if key not in seen:
            seen.add(key)
            kept.append(rec)
    return kept


def _video_labels(name: str, clips: List[dict], num_frames: int) -> np.ndarray:
    """The video's per-frame labels: as its whole-video sample carried them
    (``frame_labels``), else put together from its clips' labels (which
    must agree where clips overlap)."""
    given = next((c['frame_labels'] for c in clips
                  if c.get('frame_labels') is not None), None)
    if given is not None:
        given = np.asarray(given).astype(np.int64).reshape(-1)
        if given.size != num_frames or not np.all(np.isin(given, [0, 1])):
            raise ValueError(
                f'video {name!r}: gt_labels must be one 0/1 label per frame '
                f'({num_frames}), found {given.size} values '
                f'{np.unique(given)[:10].tolist()}.')
        return given.astype(np.uint8)
    frames = np.concatenate([c['frame_indices'] for c in clips])
    labels = np.concatenate([c['gt_labels'] for c in clips]).astype(np.int64)
    if not np.all(np.isin(labels, [0, 1])):
        raise ValueError(f'video {name!r}: gt_labels must be 0/1, found '
                         f'{np.unique(labels)[:10].tolist()}.')
    low = np.full(num_frames, 2, dtype=np.int64)
    high = np.full(num_frames, -1, dtype=np.int64)
    np.minimum.at(low, frames, labels)
    np.maximum.at(high, frames, labels)
    clash = np.flatnonzero((high >= 0) & (low != high))
    if clash.size:
        raise ValueError(
            f'video {name!r}: overlapping clips disagree on the labels of '
            f'frames {clash[:20].tolist()}{" ..." if clash.size > 20 else ""}'
            f' ({clash.size} frames); the label file or the clip index is '
            'inconsistent.')
    return high.astype(np.uint8)  # coverage is checked with the scores


def records_to_frames(records: Sequence[dict], reduce: str,
                      labelled: bool) -> 'OrderedDict[str, VideoFrames]':
    """Group clip records by video and map them to one score per frame.

    Args:
        records (Sequence[dict]): De-duplicated records with keys ``video``,
            ``video_index``, ``frame_indices``, ``num_frames``,
            ``pred_scores`` and (if ``labelled``) ``gt_labels``.
        reduce (str): Clip -> frame mode, see
            :func:`~cbad.evaluation.functional.clip_to_frame_scores`.
        labelled (bool): Whether to assemble labels too.

    Returns:
        OrderedDict[str, VideoFrames]: Sorted by video name.
    """
    by_video: Dict[str, List[dict]] = {}
    for rec in records:
        by_video.setdefault(rec['video'], []).append(rec)
    out = OrderedDict()
    for name in sorted(by_video):
        clips = by_video[name]
        lengths = {c['num_frames'] for c in clips}
        indices = {c['video_index'] for c in clips}
        if len(lengths) > 1 or len(indices) > 1:
            raise ValueError(
                f'video {name!r}: its clips disagree on num_frames '
                f'{sorted(lengths)} / video_index {sorted(indices)}; two '
                'videos may share a name. Video names must be unique.')
        num_frames = lengths.pop()
        try:
            scores = clip_to_frame_scores([c['frame_indices'] for c in clips],
                                          [c['pred_scores'] for c in clips],
                                          num_frames, reduce=reduce)
        except ValueError as err:
            raise ValueError(f'video {name!r}: {err}') from err
        labels = _video_labels(name, clips, num_frames) if labelled else None
        out[name] = VideoFrames(scores, labels)
    return out


def write_frame_scores_csv(path: str,
                           frames: 'OrderedDict[str, VideoFrames]') -> None:
    """Write ``video,frame,score,label`` rows sorted by video then frame.

    Scores are written with ``repr(float)`` (shortest exact round trip); the
    label is 0/1, or an empty field for unlabelled data.
    """
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(['video', 'frame', 'score', 'label'])
        for name, video in frames.items():
            for i, score in enumerate(video.scores.tolist()):
                label = '' if video.labels is None else int(video.labels[i])
                writer.writerow([name, i, repr(float(score)), label])


def read_frame_scores(path: str) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """Per video, the scores and 0/1 labels of a frame_scores.csv.

    Raises:
        ValueError: If the file has no labelled frame.
    """
    videos: Dict[str, Tuple[list, list]] = {}
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            if row.get('label', '') != '':  # unlabelled frames: no ROC
                scores, labels = videos.setdefault(row['video'], ([], []))
                scores.append(float(row['score']))
                labels.append(int(row['label']))
    if not videos:
        raise ValueError(f'{path} has no labelled frame (columns '
                         'video,frame,score,label with 0/1 labels); the ROC '
                         'needs a labelled test split.')
    return {name: (np.asarray(s), np.asarray(lab))
            for name, (s, lab) in videos.items()}


def json_safe(value):
    """NaN / inf -> None (strict JSON has no NaN); numpy -> Python."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_metrics_json(path: str, metrics: dict, protocol: dict,
                       extra_meta: Optional[dict]) -> None:
    """Write ``{"metrics": ..., "protocol": ..., **extra_meta}``."""
    payload = dict(metrics=metrics, protocol=protocol)
    payload.update(extra_meta or {})
    with open(path, 'w') as f:
        json.dump(json_safe(payload), f, indent=2, allow_nan=False)
        f.write('\n')


def output_paths(out_dir: str) -> Dict[str, str]:
    """Where the metric writes its files inside ``out_dir``."""
    return dict(csv=osp.join(out_dir, 'frame_scores.csv'),
                json=osp.join(out_dir, 'metrics.json'))
