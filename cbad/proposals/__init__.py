"""Where moving things are: proposal plugins for the object-centric unit.

A proposal plugin turns a video's frames, one at a time, into boxes around
moving regions (:class:`FrameProposals`). Plugins live in the
:data:`cbad.registry.PROPOSALS` registry; :class:`BackgroundMotionProposer`
(causal background model + optical flow) is the built-in one, and a
detector-based plugin can be registered beside it (no weights are ever
downloaded). :class:`IoUTracker` links a video's boxes across frames (a
helper of tube builders, not a plugin).
"""
from .background import (BACKGROUND_MODELS, MOG2Background,
                         RunningMedianBackground, build_background)
from .background_motion_proposer import COMBINE_MODES, BackgroundMotionProposer
from .frame_proposals import FrameProposals
from .iou_tracker import MATCHING_MODES, IoUTracker, box_iou
from .motion_attributes import (ATTRIBUTE_NAMES, DIRECTION_BINS,
                                motion_attributes)
from .optical_flow import FLOW_METHODS, OpticalFlow, flow_magnitude
from .tube_extractor import DEFAULT_ATTRIBUTES, TubeExtractor, VideoTubes

__all__ = [
    'BackgroundMotionProposer', 'FrameProposals', 'OpticalFlow', 'IoUTracker',
    'box_iou', 'MATCHING_MODES',
    'RunningMedianBackground', 'MOG2Background', 'build_background',
    'motion_attributes', 'flow_magnitude', 'FLOW_METHODS', 'BACKGROUND_MODELS',
    'COMBINE_MODES', 'ATTRIBUTE_NAMES', 'DIRECTION_BINS', 'TubeExtractor',
    'VideoTubes', 'DEFAULT_ATTRIBUTES'
]
