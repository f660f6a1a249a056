"""Clip -> frame score mapping and per-video normalisation."""
from typing import Dict, Mapping, Sequence, Union

import numpy as np

__all__ = ['clip_to_frame_scores', 'minmax_normalize_per_video']

CLIP_TO_FRAME_MODES = ('mean', 'max', 'center')


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
      windows tied for nearest are averaged (order independent).

    Args:
        frame_indices_list (Sequence[array-like]): One int array of 0-based
            frame ids per clip.
        scores_list (Sequence[array-like]): Matching per-frame evidence per
            clip, same lengths as ``frame_indices_list``.
        num_frames (int): Length of the video.
        reduce (str): ``'mean'``, ``'max'`` or ``'center'``. Defaults to
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
    if reduce == 'center':
        centres = np.array([(f[0] + f[-1]) / 2.0 for f in frames_per_clip])
        dist = np.abs(pair_frame - centres[pair_clip])
        nearest = np.full(num_frames, np.inf)
        np.minimum.at(nearest, pair_frame, dist)
        keep = dist == nearest[pair_frame]  # centres are exact half-integers
        pair_frame, pair_score = pair_frame[keep], pair_score[keep]
    sums = np.bincount(pair_frame, weights=pair_score, minlength=num_frames)
    return sums / np.bincount(pair_frame, minlength=num_frames)


def minmax_normalize_per_video(
    scores_by_video: Union[Mapping[str, np.ndarray], Sequence[np.ndarray]]
) -> Union[Dict[str, np.ndarray], list]:
    """Min-max normalise each video's frame scores to [0, 1] on its own.

    ``(s - min(s)) / (max(s) - min(s))`` per video: the convention of FFP,
    MemAE and MNAD. It uses each test video's own score range, so it is
    reported beside (never instead of) the raw-score AUC. A video whose
    scores are all equal becomes all zeros.

    Args:
        scores_by_video (Mapping[str, array-like] | Sequence[array-like]):
            Frame scores per video.

    Returns:
        dict | list: Same keys / order, float64 arrays in [0, 1].
    """
    def _norm(s):
        s = np.asarray(s, dtype=np.float64).reshape(-1)
        if s.size == 0:
            return s
        if not np.all(np.isfinite(s)):
            raise ValueError('cannot min-max normalise NaN/inf scores.')
        span = s.max() - s.min()
        return np.zeros_like(s) if span == 0 else (s - s.min()) / span

    if isinstance(scores_by_video, Mapping):
        return {k: _norm(v) for k, v in scores_by_video.items()}
    return [_norm(v) for v in scores_by_video]
