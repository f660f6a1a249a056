from .clip_data_sample import ClipDataSample
from .tube import (TUBE_ANCHORS, TUBE_BOUNDARIES, TUBE_BOX_MODES, Tube,
                   build_tubes, crop_tube, window_starts)

__all__ = [
    'ClipDataSample', 'Tube', 'build_tubes', 'crop_tube', 'window_starts',
    'TUBE_ANCHORS', 'TUBE_BOX_MODES', 'TUBE_BOUNDARIES'
]
