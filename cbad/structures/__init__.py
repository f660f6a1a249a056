from .clip_data_sample import ClipDataSample
from .tube import (TUBE_ANCHORS, TUBE_BOUNDARIES, TUBE_BOX_MODES, Tube,
                   build_tubes, crop_tube)
from .windows import (CLIP_TO_FRAME_MODES, DEFAULT_CLIP_LEN, DEFAULT_STRIDE,
                      build_clip_index, clip_to_frame_scores,
                      window_evidence, window_frames, window_starts)

__all__ = [
    'ClipDataSample', 'Tube', 'build_tubes', 'crop_tube', 'window_starts',
    'window_frames', 'window_evidence', 'build_clip_index',
    'clip_to_frame_scores',
    'CLIP_TO_FRAME_MODES', 'DEFAULT_CLIP_LEN', 'DEFAULT_STRIDE',
    'TUBE_ANCHORS', 'TUBE_BOX_MODES', 'TUBE_BOUNDARIES'
]
