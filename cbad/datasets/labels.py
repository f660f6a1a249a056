"""Readers for the frame-level ground-truth formats of VAD benchmarks."""
import os.path as osp
import re
from typing import List, Tuple

import numpy as np

from cbad.utils.errors import UserInputError

#: 1-based inclusive (start, end) frame ranges of one video.
Ranges = List[Tuple[int, int]]

_GT_LINE = re.compile(r'gt_frame\s*=\s*\[([^\]]*)\]')


def parse_ucsd_m(path: str) -> List[Ranges]:
    """Read the abnormal frame ranges of a UCSD ``UCSDped*.m`` file.

    Every ``TestVideoFile{end+1}.gt_frame = [61:180];`` line is one test
    clip, in order. A bracket may hold several ranges and single frames
    (``[5:90, 140:200]``, ``[7]``) or be empty. MATLAB comments (``%``) are
    ignored.

    Args:
        path (str): The ``.m`` file.

    Returns:
        list[list[tuple[int, int]]]: Per clip, 1-based inclusive ranges.

    Raises:
        ValueError: If the file holds no ``gt_frame`` line or a range cannot
            be parsed.
    """
    with open(path, encoding='utf-8', errors='replace') as f:
        text = '\n'.join(line.split('%', 1)[0] for line in f)
    clips = []
    for match in _GT_LINE.finditer(text):
        ranges = []
        for token in re.split(r'[,;\s]+', match.group(1).strip()):
            if not token:
                continue
            parts = token.split(':')
            if not all(p.isdigit() for p in parts) or len(parts) not in (1, 2):
                raise UserInputError(
                    f'{path}: cannot parse range {token!r} in '
                    f'"{match.group(0)}"; expected START:END or FRAME '
                    '(1-based integers).')
            ranges.append((int(parts[0]), int(parts[-1])))
        clips.append(ranges)
    if not clips:
        raise UserInputError(
            f'{path} holds no "TestVideoFile{{end+1}}.gt_frame = [a:b];" '
            'lines; expected the UCSD ground-truth format.')
    return clips


def load_mat_ranges(path: str, key: str = 'gt') -> List[Ranges]:
    """Read per-video frame ranges from a ``.mat`` cell (``ped2.mat`` style).

    The variable ``key`` is a 1xV cell; entry v is a 2xN array whose columns
    are 1-based inclusive ``[start; end]`` ranges of video v.

    Args:
        path (str): The ``.mat`` file.
        key (str): Variable name. Defaults to ``'gt'``.

    Returns:
        list[list[tuple[int, int]]]: Per video, 1-based inclusive ranges.
    """
    from scipy.io import loadmat
    content = loadmat(path)
    if key not in content:
        found = [k for k in content if not k.startswith('__')]
        raise UserInputError(
            f'{path} has no variable {key!r} (found {found}); expected a 1xV '
            'cell of 2xN [start; end] frame ranges.')
    cells = np.asarray(content[key]).reshape(-1)
    videos = []
    for v, cell in enumerate(cells):
        arr = np.asarray(cell, dtype=np.int64)  # stored as uint8 in ped2.mat
        if arr.size == 0:
            videos.append([])
            continue
        if arr.ndim != 2 or arr.shape[0] != 2:
            raise UserInputError(
                f'{path}: entry {v} of {key!r} has shape {arr.shape}; '
                'expected 2xN [start; end] ranges.')
        videos.append([(int(s), int(e)) for s, e in arr.T])
    return videos


def ranges_to_labels(ranges: Ranges, num_frames: int,
                     video: str = '') -> np.ndarray:
    """Turn 1-based inclusive ranges into 0/1 labels per frame.

    Args:
        ranges (list[tuple[int, int]]): Abnormal frame ranges.
        num_frames (int): Frames of the video.
        video (str): Video name, for error messages.

    Returns:
        np.ndarray: uint8 labels, shape (num_frames,).

    Raises:
        ValueError: If a range is empty or reaches past the video's end.
    """
    labels = np.zeros(num_frames, dtype=np.uint8)
    for start, end in ranges:
        if not 1 <= start <= end <= num_frames:
            raise UserInputError(
                f'Video {video!r}: abnormal range [{start}:{end}] does not '
                f'fit its {num_frames} frames; expected 1 <= start <= end <= '
                f'{num_frames} (1-based, inclusive). The ground-truth file '
                'may belong to other videos.')
        labels[start - 1:end] = 1
    return labels


def load_label_file(path: str) -> np.ndarray:
    """Read per-frame 0/1 labels from ``.npy`` or ``.txt`` (whitespace or
    comma separated).

    Returns:
        np.ndarray: uint8 labels, shape (num_frames,).
    """
    if path.endswith('.npy'):
        labels = np.load(path)
    else:
        with open(path) as f:
            tokens = re.split(r'[,\s]+', f.read().strip())
        try:
            labels = np.array([int(t) for t in tokens if t], dtype=np.int64)
        except ValueError as err:
            raise UserInputError(
                f'{path}: expected 0/1 integers per frame ({err}).') from None
    labels = np.asarray(labels).reshape(-1)
    if labels.size and not np.isin(labels, (0, 1)).all():
        raise UserInputError(
            f'{osp.basename(path)}: labels must be 0/1 per frame, found '
            f'values {np.unique(labels)[:10].tolist()}.')
    return labels.astype(np.uint8)
