from .events import EventTracker, find_events
from cbad.datasets.sources.inputs import list_videos, open_input
from .infer import run_inference
from .scoring import (FramePreprocessor, init_detector, score_offline,
                        stream_scorer, window_geometry)
from .model_zoo import (get_model, get_model_info, list_models,
                        resolve_checkpoint, resolve_config_and_checkpoint)

__all__ = [
    'list_models', 'get_model_info', 'get_model', 'resolve_checkpoint',
    'resolve_config_and_checkpoint', 'run_inference', 'open_input',
    'list_videos', 'EventTracker', 'find_events', 'init_detector',
    'FramePreprocessor', 'stream_scorer', 'score_offline', 'window_geometry'
]
