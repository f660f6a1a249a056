from .clip_data_sample import ClipDataSample

__all__ = ['ClipDataSample']
