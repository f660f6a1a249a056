"""Pure numpy evaluation functions shared by metrics, hooks and tools."""
from .frame_scores import clip_to_frame_scores, minmax_normalize_per_video
from .ranking import average_precision, equal_error_rate, roc_auc, roc_curve
from .segments import segment_prf, window_labels, window_scores

__all__ = [
    'roc_auc', 'roc_curve', 'average_precision', 'equal_error_rate',
    'clip_to_frame_scores', 'minmax_normalize_per_video', 'window_scores',
    'window_labels', 'segment_prf'
]
