"""Clip -> frame score mapping and per-video normalisation."""
from typing import Dict, Mapping, Sequence, Union

import numpy as np

from cbad.structures.windows import (CLIP_TO_FRAME_MODES,  # noqa: F401
                                    clip_to_frame_scores)

__all__ = ['clip_to_frame_scores', 'minmax_normalize_per_video']

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
