"""Window geometry: where a video's windows lie, and how their evidence maps
back to frames.

The one home of the sliding-window layout that the datasets' clip index, the
tube extractor, the detectors, the metric's segments, threshold fitting and
streaming all read: windows of ``clip_len`` frames every ``stride`` frames
from frame 0, plus one aligned to the video's end when the last does not
reach it (so every frame is covered); a video shorter than a window is one
window padded by repeating its last frame.
"""
import warnings
from typing import List, Sequence

import numpy as np

#: Frames per window (T) and frames between window starts, unless a config
#: says otherwise (the paper's 16 and 4).
DEFAULT_CLIP_LEN = 16
DEFAULT_STRIDE = 4
#: How a frame's score is read from the windows covering it.
CLIP_TO_FRAME_MODES = ('mean', 'max', 'center', 'end')


def _format_frames(frames: np.ndarray, limit: int = 20) -> str:
    shown = ', '.join(str(int(f)) for f in frames[:limit])
    more = f' ... ({frames.size} in all)' if frames.size > limit else ''
    return f'[{shown}{more}]'


def clip_to_frame_scores(frame_indices_list: Sequence,
                         scores_list: Sequence,
                         num_frames: int,
                         reduce: str = 'mean') -> np.ndarray:
    """Turn the per-clip evidence of one video into one score per frame.

    Each clip (window) gives evidence for the frames it holds. A frame index
    repeated inside one clip (a short video padded by repeating its last
    frame) counts once: its positions are first combined inside the clip
    (mean for ``'mean'`` / ``'center'``, max for ``'max'``). Then, over the
    windows that cover a frame:

    - ``'mean'``: the mean of their evidence;
    - ``'max'``: the largest evidence;
    - ``'center'``: the evidence of the window whose centre
      ``(frame_indices[0] + frame_indices[-1]) / 2`` is nearest to the frame;
      windows tied for nearest are averaged (order independent);
    - ``'end'``: the evidence of the window whose last frame
      ``frame_indices[-1]`` is nearest to the frame (ties averaged), i.e.
      of the window that ends soonest at or after it. For a detector that
      scores each window's last frame (a future-frame predictor), a frame
      gets its own score; frames before the first window's end get the
      first window's. Causal: a frame's score is known once that window is.

    Args:
        frame_indices_list (Sequence[array-like]): One int array of 0-based
            frame ids per clip.
        scores_list (Sequence[array-like]): Matching per-frame evidence per
            clip, same lengths as ``frame_indices_list``.
        num_frames (int): Length of the video.
        reduce (str): One of :data:`CLIP_TO_FRAME_MODES`. Defaults to
            ``'mean'``.

    Returns:
        np.ndarray: float64 scores of shape (num_frames,).

    Raises:
        ValueError: on an unknown ``reduce``, mismatched lengths, frame ids
            outside ``[0, num_frames)``, non-finite evidence, or frames that
            no window covers (the message names them).

    Shape:
        frame_indices_list[c], scores_list[c]: (T_c,); output: (num_frames,).
    """
    if reduce not in CLIP_TO_FRAME_MODES:
        raise ValueError(f'reduce must be one of {CLIP_TO_FRAME_MODES}, '
                         f'found {reduce!r}.')
    num_frames = int(num_frames)
    if num_frames <= 0:
        raise ValueError(f'num_frames must be positive, found {num_frames}.')
    if len(frame_indices_list) != len(scores_list):
        raise ValueError(
            f'got {len(frame_indices_list)} frame-index arrays but '
            f'{len(scores_list)} score arrays; one of each per clip.')
    if len(frame_indices_list) == 0:
        raise ValueError(f'no clips given for a video of {num_frames} '
                         'frames; every frame needs a covering window.')
    frames_per_clip = [np.asarray(f, dtype=np.int64).reshape(-1)
                       for f in frame_indices_list]
    scores_per_clip = [np.asarray(s, dtype=np.float64).reshape(-1)
                       for s in scores_list]
    for c, (f, s) in enumerate(zip(frames_per_clip, scores_per_clip)):
        if f.size == 0 or f.shape != s.shape:
            raise ValueError(
                f'clip {c} has {f.size} frame ids and {s.size} scores; '
                'expected the same, non-zero number.')
    frames = np.concatenate(frames_per_clip)
    scores = np.concatenate(scores_per_clip)
    if frames.min() < 0 or frames.max() >= num_frames:
        bad = np.unique(frames[(frames < 0) | (frames >= num_frames)])
        raise ValueError(
            f'frame ids {_format_frames(bad)} are outside [0, {num_frames}) '
            'for this video; check num_frames and the clip index.')
    if not np.all(np.isfinite(scores)):
        raise ValueError('clip scores contain NaN/inf; the model produced '
                         'invalid evidence.')

    lengths = [f.size for f in frames_per_clip]
    clip_ids = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    # One (clip, frame) pair per distinct frame of each clip.
    keys, inverse = np.unique(
        clip_ids * num_frames + frames, return_inverse=True)
    inverse = inverse.reshape(-1)
    pair_clip, pair_frame = keys // num_frames, keys % num_frames
    if reduce == 'max':
        pair_score = np.full(keys.size, -np.inf)
        np.maximum.at(pair_score, inverse, scores)
    else:
        pair_score = (np.bincount(inverse, weights=scores) /
                      np.bincount(inverse))

    coverage = np.bincount(pair_frame, minlength=num_frames)
    if np.any(coverage == 0):
        raise ValueError(
            f'frames {_format_frames(np.flatnonzero(coverage == 0))} of a '
            f'{num_frames}-frame video are covered by no window, so they '
            'have no score; the clip index must cover every frame.')

    if reduce == 'max':
        out = np.full(num_frames, -np.inf)
        np.maximum.at(out, pair_frame, pair_score)
        return out
    if reduce in ('center', 'end'):
        # each window's anchor: its centre or its last frame
        anchors = np.array([
            (f[0] + f[-1]) / 2.0 if reduce == 'center' else float(f[-1])
            for f in frames_per_clip])
        dist = np.abs(pair_frame - anchors[pair_clip])
        nearest = np.full(num_frames, np.inf)
        np.minimum.at(nearest, pair_frame, dist)
        keep = dist == nearest[pair_frame]  # anchors: exact (half-)integers
        pair_frame, pair_score = pair_frame[keep], pair_score[keep]
    sums = np.bincount(pair_frame, weights=pair_score, minlength=num_frames)
    return sums / np.bincount(pair_frame, minlength=num_frames)


def window_evidence(frame_indices, scores) -> tuple:
    """The windows of one predicted sample and each frame's evidence in them.

    A sample's ``frame_indices`` are one window (T,) or a whole video's
    windows (S, T); its ``pred_scores`` give one score per window or one per
    frame of each window. Both become (S, T) arrays here, a window's single
    score repeated over its frames, ready for :func:`clip_to_frame_scores`.

    Args:
        frame_indices (array-like): (T,) or (S, T) frame ids.
        scores (array-like): (S,), (S, T), (T,) or one number.

    Returns:
        tuple: ``(windows, evidence)``, int64 and float64 arrays of shape
        (S, T).

    Raises:
        ValueError: If the scores fit neither one per window nor one per
            frame of each window.
    """
    windows = np.atleast_2d(np.asarray(frame_indices, dtype=np.int64))
    values = np.asarray(scores, dtype=np.float64)
    if values.size not in (windows.shape[0], windows.size):
        raise ValueError(
            f'{values.size} scores fit neither the {windows.shape[0]} '
            f'windows nor their {windows.size} frames.')
    per_window = (values.size == windows.shape[0]
                  and values.shape != windows.shape)
    evidence = (np.repeat(values.reshape(-1, 1), windows.shape[1], axis=1)
                if per_window else values.reshape(windows.shape))
    return windows, evidence


def window_starts(num_frames: int, clip_len: int, stride: int) -> np.ndarray:
    """First frame of every window of a video, as the clip index lays them.

    Windows start every ``stride`` frames from 0, plus one aligned to the
    end if the last does not reach it; a video shorter than ``clip_len`` has
    one window at 0 (its frames repeat the last one, see :class:`Tube`).

    Args:
        num_frames (int): Frames of the video (>= 1).
        clip_len (int): Frames per window (T).
        stride (int): Frames between consecutive window starts.

    Returns:
        np.ndarray: (S,) int64 window starts.
    """
    for name, value in (('clip_len', clip_len), ('stride', stride),
                        ('num_frames', num_frames)):
        if int(value) != value or value < 1:
            raise ValueError(
                f'{name} must be a positive integer, got {value!r}.')
    last_start = max(int(num_frames) - int(clip_len), 0)
    starts = list(range(0, last_start + 1, int(stride)))
    if starts[-1] != last_start:
        starts.append(last_start)  # end-aligned window covers the tail
    return np.asarray(starts, np.int64)


def window_frames(num_frames: int, clip_len: int, stride: int) -> np.ndarray:
    """Frame ids of every window of a video, (S, T) int64: the windows of
    :func:`window_starts`, a short video's one window repeating its last
    frame."""
    starts = window_starts(num_frames, clip_len, stride)
    return np.minimum(starts[:, None] + np.arange(int(clip_len)),
                      int(num_frames) - 1)


def build_clip_index(num_frames: int, clip_len: int,
                     stride: int) -> List[np.ndarray]:
    """Lay windows of ``clip_len`` frames every ``stride`` frames over a video.

    Windows start at 0, ``stride``, ``2 * stride``, ... . If the last of them
    does not reach the end of the video, one more window aligned to the end
    (start ``num_frames - clip_len``) is added, so every frame is covered. A
    video shorter than a clip gives one window ``[0 .. num_frames - 1]``
    padded by repeating the last frame, with a :class:`UserWarning`.

    Args:
        num_frames (int): Number of frames of the video.
        clip_len (int): Frames per window (T).
        stride (int): Frames between the starts of consecutive windows.

    Returns:
        list[np.ndarray]: One int64 array of shape (T,) per window, holding
        0-based frame ids.

    Raises:
        ValueError: If ``num_frames`` is 0 or negative, or ``clip_len`` or
            ``stride`` is not a positive integer.
    """
    for name, value in (('clip_len', clip_len), ('stride', stride)):
        if int(value) != value or value < 1:
            raise ValueError(
                f'{name} must be a positive integer, got {value!r}.')
    if num_frames <= 0:
        raise ValueError(
            f'Cannot build clips for a video with {num_frames} frames: '
            'expected at least 1 frame. Check that the video is readable '
            'and not empty.')
    if num_frames < clip_len:
        warnings.warn(
            f'Video has {num_frames} frames, fewer than clip_len={clip_len}: '
            f'its one clip repeats the last frame {clip_len - num_frames} '
            'times.', UserWarning, stacklevel=2)
    return list(window_frames(num_frames, clip_len, stride))
