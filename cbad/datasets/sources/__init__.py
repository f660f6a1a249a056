"""Frame sources, one package for both kinds: random-access sources that a
dataset reads its clips from (``FrameSource``: frame folders, video files)
and the sequential inputs a detector is run on (:mod:`.inputs`: files,
folders, cameras, streams, with reconnects)."""
from .base import (IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, FrameSource,
                   natural_key, read_grey)
from .frame_folder import FrameFolderSource, list_frame_files
from .inputs import CaptureInput, FolderInput, list_videos, open_input
from .video_file import VideoFileSource

__all__ = [
    'FrameSource', 'FrameFolderSource', 'VideoFileSource', 'natural_key',
    'list_frame_files', 'IMAGE_EXTENSIONS', 'VIDEO_EXTENSIONS', 'read_grey',
    'open_input', 'list_videos', 'FolderInput', 'CaptureInput'
]
