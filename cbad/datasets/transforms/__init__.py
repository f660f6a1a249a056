"""Clip transforms: loading, resizing, packing."""
from .formatting import PackClipInputs
from .loading import LoadClipFrames
from .resize import ResizeClip

__all__ = ['LoadClipFrames', 'ResizeClip', 'PackClipInputs']
