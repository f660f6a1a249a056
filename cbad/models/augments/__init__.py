from .clip_view_augment import ClipViewAugment
from .speed_negative import SpeedNegative

__all__ = ['ClipViewAugment', 'SpeedNegative']
