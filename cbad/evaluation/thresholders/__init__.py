"""Decision thresholders fitted on normal validation scores."""
from .base_thresholder import BaseThresholder
from .builder import build_thresholder
from .mad_thresholder import MADThresholder
from .percentile_thresholder import PercentileThresholder

__all__ = [
    'BaseThresholder', 'MADThresholder', 'PercentileThresholder',
    'build_thresholder'
]
