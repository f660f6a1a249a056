"""Frame sources: the videos a dataset reads its clips from."""
from .base import (IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, FrameSource,
                   natural_key, read_grey)
from .frame_folder import FrameFolderSource, list_frame_files
from .video_file import VideoFileSource

__all__ = [
    'FrameSource', 'FrameFolderSource', 'VideoFileSource', 'natural_key',
    'list_frame_files', 'IMAGE_EXTENSIONS', 'VIDEO_EXTENSIONS', 'read_grey'
]
