"""Trailing mean of the last ``length`` frame scores (causal smoothing)."""
from collections import deque
from typing import Deque

import numpy as np

from cbad.registry import POSTPROCESSORS


@POSTPROCESSORS.register_module()
class TrailingMean:
    """``s'_t = mean(s_{t-length+1}, ..., s_t)`` over the frames seen so far.

    Causal: a frame's new score needs no later frame, so a stream gets the
    same numbers as the whole video (the first ``length - 1`` frames average
    over the frames there are). ``length=1`` changes nothing. Memory is
    ``length`` floats in streaming.

    Args:
        length (int): Frames averaged, >= 1. Defaults to 8.

    Shape:
        - ``__call__``: (L,) -> (L,) float64.
        - ``step``: float -> float.
    """

    def __init__(self, length: int = 8) -> None:
        if int(length) != length or length < 1:
            raise ValueError(f'TrailingMean length must be an integer >= 1, '
                             f'got {length!r}.')
        self.length = int(length)
        self._recent: Deque[float] = deque(maxlen=self.length)

    def __repr__(self) -> str:
        return f'TrailingMean(length={self.length})'

    def __call__(self, scores) -> np.ndarray:
        """One whole video's frame scores, smoothed."""
        scores = np.asarray(scores, np.float64).reshape(-1)
        if self.length == 1 or scores.size == 0:
            return scores.copy()
        sums = np.cumsum(np.r_[0.0, scores])
        ends = np.arange(1, scores.size + 1)
        starts = np.maximum(ends - self.length, 0)
        return (sums[ends] - sums[starts]) / (ends - starts)

    def reset(self) -> None:
        """Forget the frames seen (call at the start of each video)."""
        self._recent.clear()

    def step(self, score: float) -> float:
        """The next frame's smoothed score."""
        self._recent.append(float(score))
        return float(np.mean(self._recent))
