"""Sliding-window clip index: which frames make up each clip of a video."""
import warnings
from typing import List

import numpy as np


def build_clip_index(num_frames: int, clip_len: int,
                     stride: int) -> List[np.ndarray]:
    """Lay windows of ``clip_len`` frames every ``stride`` frames over a video.

    Windows start at 0, ``stride``, ``2 * stride``, ... . If the last of them
    does not reach the end of the video, one more window aligned to the end
    (start ``num_frames - clip_len``) is added, so every frame is covered. A
    video shorter than a clip gives one window ``[0 .. num_frames - 1]``
    padded by repeating the last frame, with a :class:`UserWarning`.

    Args:
        num_frames (int): Number of frames of the video.
        clip_len (int): Frames per window (T).
        stride (int): Frames between the starts of consecutive windows.

    Returns:
        list[np.ndarray]: One int64 array of shape (T,) per window, holding
        0-based frame ids.

    Raises:
        ValueError: If ``num_frames`` is 0 or negative, or ``clip_len`` or
            ``stride`` is not a positive integer.
    """
    for name, value in (('clip_len', clip_len), ('stride', stride)):
        if int(value) != value or value < 1:
            raise ValueError(
                f'{name} must be a positive integer, got {value!r}.')
    if num_frames <= 0:
        raise ValueError(
            f'Cannot build clips for a video with {num_frames} frames: '
            'expected at least 1 frame. Check that the video is readable '
            'and not empty.')
    num_frames, clip_len, stride = int(num_frames), int(clip_len), int(stride)
    if num_frames < clip_len:
        warnings.warn(
            f'Video has {num_frames} frames, fewer than clip_len={clip_len}: '
            f'its one clip repeats the last frame {clip_len - num_frames} '
            'times.', UserWarning, stacklevel=2)
        ids = np.arange(clip_len, dtype=np.int64)
        return [np.minimum(ids, num_frames - 1)]
    last_start = num_frames - clip_len
    starts = list(range(0, last_start + 1, stride))
    if starts[-1] != last_start:
        starts.append(last_start)  # end-aligned window covers the tail
    return [np.arange(s, s + clip_len, dtype=np.int64) for s in starts]
