"""Datasets: frame sources, the clip index, benchmark and custom datasets."""
from .avenue import AvenueDataset, load_volume_label
from .base_video_dataset import BaseVideoDataset
from cbad.structures import build_clip_index
from .folder import VideoFolderDataset
from .labels import (load_label_file, load_mat_ranges, parse_ucsd_m,
                     ranges_to_labels)
from .motion_intensity import (assign_motion_groups,
                               compute_motion_intensity)
from .ped2 import UCSDPed2Dataset
from .samplers import EpochSliceSampler, NeighbourClipSampler
from .shanghaitech import ShanghaiTechDataset, load_shanghaitech_labels
from .sources import FrameFolderSource, FrameSource, VideoFileSource
from .synthetic import SyntheticDataset
from .synthetic_scene import synthetic_videos
from .transforms import LoadClipFrames, PackClipInputs, ResizeClip
from .tube_dataset import PackTubeInputs, TubeDataset

__all__ = [
    'build_clip_index', 'FrameSource', 'FrameFolderSource', 'VideoFileSource',
    'BaseVideoDataset', 'UCSDPed2Dataset', 'AvenueDataset',
    'ShanghaiTechDataset', 'VideoFolderDataset', 'SyntheticDataset',
    'synthetic_videos',
    'load_shanghaitech_labels', 'load_volume_label', 'parse_ucsd_m',
    'load_mat_ranges', 'ranges_to_labels', 'load_label_file',
    'LoadClipFrames', 'ResizeClip', 'PackClipInputs',
    'compute_motion_intensity', 'assign_motion_groups', 'NeighbourClipSampler',
    'EpochSliceSampler',
    'TubeDataset', 'PackTubeInputs'
]
