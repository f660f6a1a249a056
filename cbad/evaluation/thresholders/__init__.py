"""Decision thresholders fitted on normal validation scores."""
from .base_thresholder import (MIN_THRESHOLD_FIT_VIDEOS,
                               MIN_THRESHOLD_FIT_WINDOWS, BaseThresholder,
                               fitted_on_too_little)
from .builder import build_thresholder
from .mad_thresholder import MADThresholder
from .percentile_thresholder import PercentileThresholder

__all__ = [
    'BaseThresholder', 'MADThresholder', 'PercentileThresholder',
    'build_thresholder', 'MIN_THRESHOLD_FIT_WINDOWS',
    'MIN_THRESHOLD_FIT_VIDEOS', 'fitted_on_too_little'
]
