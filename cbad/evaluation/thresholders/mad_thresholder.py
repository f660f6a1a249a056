"""Median + lambda * MAD threshold (Tong & Wu, Eq. 22-23)."""
import numpy as np

from cbad.registry import THRESHOLDERS
from .base_thresholder import BaseThresholder

# Makes the MAD a consistent estimator of a normal distribution's std.
MAD_NORMAL_CONSISTENCY = 1.4826


@THRESHOLDERS.register_module()
class MADThresholder(BaseThresholder):
    """``delta = Med(A) + lam * MAD(A)`` over normal validation scores A.

    ``MAD(A) = Med(|A - Med(A)|)``, the raw median absolute deviation
    (Eq. 22-23); a segment is abnormal when ``A_i >= delta``. Robust to the
    few high scores a normal split always holds, unlike mean + k * std.

    Args:
        lam (float): The MAD factor lambda. Defaults to 3.0.
        scale_mad (bool): Multiply the MAD by 1.4826 so that it estimates
            the standard deviation of Gaussian scores. The paper uses the
            raw MAD. Defaults to False.
    """

    def __init__(self, lam: float = 3.0, scale_mad: bool = False) -> None:
        super().__init__()
        if not np.isfinite(lam):
            raise ValueError(f'lam must be a finite number, found {lam}.')
        self.lam = float(lam)
        self.scale_mad = bool(scale_mad)

    def _compute(self, scores: np.ndarray) -> float:
        median = np.median(scores)
        mad = np.median(np.abs(scores - median))
        if self.scale_mad:
            mad = mad * MAD_NORMAL_CONSISTENCY
        return median + self.lam * mad

    def __repr__(self) -> str:
        return (f'MADThresholder(lam={self.lam}, scale_mad={self.scale_mad}, '
                f'threshold={self.threshold})')
