from .clip_view_augment import ClipViewAugment

__all__ = ['ClipViewAugment']
