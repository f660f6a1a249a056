"""Percentile-of-normals threshold."""
import numpy as np

from cbad.registry import THRESHOLDERS
from .base_thresholder import BaseThresholder


@THRESHOLDERS.register_module()
class PercentileThresholder(BaseThresholder):
    """``delta`` = the q-th percentile of normal validation scores.

    Roughly ``(100 - q)`` % of normal samples are flagged. Uses
    ``np.percentile`` with linear interpolation.

    Args:
        q (float): Percentile in [0, 100]. Defaults to 99.0.
    """

    def __init__(self, q: float = 99.0) -> None:
        super().__init__()
        if not 0.0 <= q <= 100.0:
            raise ValueError(f'q is a percentile in [0, 100], found {q}.')
        self.q = float(q)

    def _compute(self, scores: np.ndarray) -> float:
        return np.percentile(scores, self.q)

    def __repr__(self) -> str:
        return f'PercentileThresholder(q={self.q}, threshold={self.threshold})'
