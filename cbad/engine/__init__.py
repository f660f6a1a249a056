from .fitting import (fit_detector, fit_threshold, fitting_features,
                      frame_scores_by_video)
from .hooks import *  # noqa: F401,F403
from .hooks import __all__ as _hooks

__all__ = [
    'fit_detector', 'fit_threshold', 'fitting_features',
    'frame_scores_by_video'
] + _hooks
