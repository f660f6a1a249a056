"""Causal background models: which pixels differ from the static scene.

Both models see frames one at a time and never look ahead, so the same code
serves offline scoring and a live stream.
"""
from functools import lru_cache
from typing import List, Tuple

import cv2
import numpy as np

#: Background models :func:`build_background` accepts.
BACKGROUND_MODELS = ('running_median', 'mog2')


class RunningMedianBackground:
    """Per-pixel median of a buffer of past frames.

    Every ``sample_every``-th frame enters a buffer of the last ``history``
    sampled frames; the background is their median, recomputed whenever the
    buffer changes (the lower median for an even count). A frame is compared with the background built from
    frames *before* it. Until the buffer holds a frame (the first frame of a
    video) nothing is foreground.

    Args:
        history (int): Frames kept in the buffer. Defaults to 16.
        sample_every (int): Sampling period of the buffer in frames, so the
            median spans ``history * sample_every`` frames (64 by default,
            a few seconds of video: long enough that a person walking
            through is not absorbed). Defaults to 4.
        threshold (int): Grey-level difference above which a pixel is
            foreground. Defaults to 20.
    """

    def __init__(self, history: int = 16, sample_every: int = 4,
                 threshold: int = 20) -> None:
        if history < 1 or sample_every < 1:
            raise ValueError('history and sample_every must be >= 1, got '
                             f'{history} and {sample_every}.')
        self.history = history
        self.sample_every = sample_every
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        """Forget the scene (a new video starts)."""
        self._buffer: List[np.ndarray] = []
        self._background = None
        self._count = 0

    def apply(self, grey: np.ndarray) -> np.ndarray:
        """Foreground mask of ``grey`` (bool, same shape), then learn it."""
        if self._background is None:
            foreground = np.zeros(grey.shape, bool)
        else:
            foreground = cv2.absdiff(grey, self._background) > self.threshold
        if self._count % self.sample_every == 0:
            self._buffer = (self._buffer + [grey])[-self.history:]
            self._background = _lower_median(self._buffer)
        self._count += 1
        return foreground


def _lower_median(frames: List[np.ndarray]) -> np.ndarray:
    """Per-pixel lower median of uint8 frames (no mean of the two middle
    values, so it stays uint8).

    A sorting network (Batcher's odd-even merge sort) over the frames,
    padded with 255 to a power of two so the lower median of the n real
    values sits at index (n - 1) // 2: element-wise min/max on whole frames,
    ~20x faster than ``np.partition`` along the frame axis, same result.
    """
    if len(frames) == 1:
        return frames[0]
    size = 1 << (len(frames) - 1).bit_length()
    rows = list(frames) + [np.full_like(frames[0], 255)] * (size -
                                                             len(frames))
    for i, j in _sorting_network(size):
        low = np.minimum(rows[i], rows[j])
        rows[j] = np.maximum(rows[i], rows[j])
        rows[i] = low
    return rows[(len(frames) - 1) // 2]


@lru_cache(maxsize=None)
def _sorting_network(size: int) -> Tuple[Tuple[int, int], ...]:
    """Comparators (i, j), i < j, of Batcher's odd-even merge sort of
    ``size`` (a power of two) elements, in order."""
    pairs = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return tuple(pairs)


class MOG2Background:
    """OpenCV's Gaussian-mixture background subtractor (shadows off).

    Args:
        history (int): Frames the mixture adapts over. Defaults to 100.
        var_threshold (float): Squared Mahalanobis distance above which a
            pixel is foreground. Defaults to 25.
    """

    def __init__(self, history: int = 100, var_threshold: float = 25) -> None:
        self.history = history
        self.var_threshold = var_threshold
        self.reset()

    def reset(self) -> None:
        """Forget the scene (a new video starts)."""
        self._model = cv2.createBackgroundSubtractorMOG2(
            history=self.history, varThreshold=self.var_threshold,
            detectShadows=False)

    def apply(self, grey: np.ndarray) -> np.ndarray:
        """Foreground mask of ``grey`` (bool, same shape), then learn it."""
        return self._model.apply(grey) > 0


def build_background(name: str, **kwargs):
    """A background model by name (one of :data:`BACKGROUND_MODELS`)."""
    if name == 'running_median':
        return RunningMedianBackground(**kwargs)
    if name == 'mog2':
        return MOG2Background(**kwargs)
    raise ValueError(f'Unknown background model {name!r}; expected one of '
                     f'{", ".join(BACKGROUND_MODELS)}.')
