"""Base class of the decision thresholders fitted on normal scores."""
from abc import ABCMeta, abstractmethod
from typing import Optional

import numpy as np

#: Fewest normal validation windows a threshold should be fitted on. The
#: windows overlap (16 frames every 4 by default), so 50 windows are only
#: about a dozen independent stretches of normal footage; below that, the
#: median and MAD (or a high percentile) of the window scores mostly reflect
#: which few frames happened to be held out. A percentile ``q`` needs at
#: least ``100 / (100 - q)`` windows to be more than the largest score.
MIN_THRESHOLD_FIT_WINDOWS = 50
#: Fewest normal validation videos (or trailing stretches of videos) a
#: threshold should be fitted on: one video is one scene at one time, and its
#: score level says little about the others.
MIN_THRESHOLD_FIT_VIDEOS = 2


def fitted_on_too_little(windows: int, videos: int) -> bool:
    """Whether a threshold fitted on ``windows`` normal validation windows
    from ``videos`` videos is below the documented minimum."""
    return (windows < MIN_THRESHOLD_FIT_WINDOWS
            or videos < MIN_THRESHOLD_FIT_VIDEOS)


class BaseThresholder(metaclass=ABCMeta):
    """Fit a threshold on normal (validation) scores; flag ``score >= it``.

    Subclasses implement :meth:`_compute`. Test labels must never reach
    :meth:`fit` (one-class protocol): fit on the normal validation split.

    Attributes:
        threshold (float | None): The fitted threshold; ``None`` until
            :meth:`fit` is called.
    """

    def __init__(self) -> None:
        self.threshold: Optional[float] = None

    @staticmethod
    def _as_scores(scores, what: str) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if scores.size == 0:
            raise ValueError(f'{what} got no scores; pass the anomaly scores '
                             'of the normal validation split.')
        if np.any(np.isnan(scores)):
            raise ValueError(
                f'{what} got {int(np.isnan(scores).sum())} NaN scores out of '
                f'{scores.size}; fix the scorer or drop them first.')
        return scores

    @abstractmethod
    def _compute(self, scores: np.ndarray) -> float:
        """Return the threshold for validated, non-empty, NaN-free scores."""

    def fit(self, scores) -> float:
        """Fit and store :attr:`threshold`.

        Args:
            scores (array-like): Scores of normal samples, any shape.

        Returns:
            float: The threshold.
        """
        scores = self._as_scores(scores, f'{type(self).__name__}.fit')
        self.threshold = float(self._compute(scores))
        return self.threshold

    def predict(self, scores) -> np.ndarray:
        """Flag abnormal scores.

        Args:
            scores (array-like): Scores to classify.

        Returns:
            np.ndarray: bool array, same shape as ``scores``, True where
            ``score >= threshold``.
        """
        if self.threshold is None:
            raise RuntimeError(f'{type(self).__name__} is not fitted; call '
                               '.fit(normal_scores) before predicting.')
        shape = np.shape(scores)
        flat = self._as_scores(scores, f'{type(self).__name__}.predict')
        return (flat >= self.threshold).reshape(shape)

    def __call__(self, scores) -> np.ndarray:
        """Same as :meth:`predict`."""
        return self.predict(scores)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(threshold={self.threshold})'
