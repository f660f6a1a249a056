"""Evaluation: pure functions, thresholders and mmengine metrics."""
from .functional import (average_precision, clip_to_frame_scores,
                         equal_error_rate, minmax_normalize_per_video,
                         roc_auc, roc_curve, segment_prf, window_labels,
                         window_scores)
from .metrics import VideoAnomalyMetric
from .thresholders import (BaseThresholder, MADThresholder,
                           PercentileThresholder, build_thresholder)

__all__ = [
    'roc_auc', 'roc_curve', 'average_precision', 'equal_error_rate',
    'clip_to_frame_scores', 'minmax_normalize_per_video', 'window_scores',
    'window_labels', 'segment_prf', 'VideoAnomalyMetric', 'BaseThresholder',
    'MADThresholder', 'PercentileThresholder', 'build_thresholder'
]
