"""A video stored as a folder of image files, one per frame."""
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from cbad.utils.errors import (CorruptDataError, DataNotFoundError,
                               UserInputError)
from .base import IMAGE_EXTENSIONS, FrameSource, check_link, natural_key

# The frame number of a file is the last run of digits in its stem.
_FRAME_NUMBER = re.compile(r'(\d+)\D*$')
_JPEG_START, _JPEG_END = b'\xff\xd8', b'\xff\xd9'


def list_frame_files(path: str) -> List[str]:
    """Image file names in ``path``, in natural numeric order.

    Raises:
        CorruptDataError: If an image name is a looping or dangling symbolic
            link.
    """
    files = []
    with os.scandir(path) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith('.') or not name.lower().endswith(
                    IMAGE_EXTENSIONS):
                continue
            if entry.is_symlink():
                check_link(entry.path)
            files.append(name)
    return sorted(files, key=natural_key)


def _shorten(values: Sequence, limit: int = 10) -> str:
    values = list(values)
    more = f' and {len(values) - limit} more' if len(values) > limit else ''
    return f'{values[:limit]}{more}'


def check_frame_numbers(path: str, files: Sequence[str]) -> None:
    """Check that numbered frame files form one gapless run.

    Labels are matched to frames by position, so a missing frame would
    shift every later label by one, and two files with the same number
    (``010.jpg`` and ``10.jpg``, or ``010.jpg`` and ``010.png``) would add a
    frame. Names without any digits carry no numbering and pass.

    Args:
        path (str): The frame folder, for messages.
        files (Sequence[str]): Its image files, in natural order.

    Raises:
        UserInputError: If numbers repeat, some are missing, the run starts
            after 1, or only some names carry a number.
    """
    by_number: Dict[int, List[str]] = {}
    unnumbered = []
    for name in files:
        match = _FRAME_NUMBER.search(osp.splitext(name)[0])
        if match is None:
            unnumbered.append(name)
        else:
            by_number.setdefault(int(match.group(1)), []).append(name)
    if not by_number:
        return
    fix = ('Labels are matched to frames by position, so re-extract the '
           "video's frames, or pass check_frame_numbers=False to the "
           'dataset (check_numbering=False to FrameFolderSource) if the '
           'files are in the right order as they are.')
    if unnumbered:
        raise UserInputError(
            f'Frame folder {path}: {_shorten(unnumbered)} carry no frame '
            f'number, while the other {len(files) - len(unnumbered)} image '
            'files are numbered; expected every frame numbered. Move the '
            'unnumbered files out of the folder.')
    repeated = [names for names in by_number.values() if len(names) > 1]
    if repeated:
        raise UserInputError(
            f'Frame folder {path} holds several files for the same frame '
            f'number: {_shorten(repeated)}; expected one image per frame. '
            'Remove the extra copies.')
    first, last = min(by_number), max(by_number)
    if first > 1:
        raise UserInputError(
            f'Frame folder {path}: frame numbers start at {first}; expected '
            f'0 or 1, so the first frames are missing. {fix}')
    missing = sorted(set(range(first, last + 1)) - set(by_number))
    if missing:
        raise UserInputError(
            f'Frame folder {path}: missing frame numbers '
            f'{_shorten(missing)} between {files[0]} and {files[-1]}; '
            f'expected every number from {first} to {last}. {fix}')


def _decode(file: str) -> Tuple[Optional[np.ndarray], str]:
    """Decode an image file: ``(frame, '')``, or ``(None, why not)`` for an
    unreadable, empty, truncated or undecodable file.

    OpenCV decodes a truncated JPEG without error (the missing rows come out
    gray), so the JPEG end marker is checked as well.
    """
    try:
        data = np.fromfile(file, dtype=np.uint8)
    except OSError as err:
        return None, f'cannot be read ({err.strerror})'
    if data.size == 0:
        return None, 'is empty (0 bytes)'
    # The end marker may be followed by a little padding, hence the window.
    if (data[:2].tobytes() == _JPEG_START
            and _JPEG_END not in data[-1024:].tobytes()):
        return None, 'is truncated (its JPEG end marker is missing)'
    frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if frame is None:
        return None, 'is not a decodable image'
    return frame, ''


class FrameFolderSource(FrameSource):
    """A video whose frames are image files in one folder.

    Frames are ``*.jpg``, ``*.jpeg``, ``*.png``, ``*.tif``/``*.tiff`` or
    ``*.bmp`` files, ordered by natural numeric sort (``2.jpg`` before
    ``10.jpg``); other files are ignored. The folder is listed once at
    construction, and the frame numbers in the names must run without gaps
    or repeats (see :func:`check_frame_numbers`); images are decoded on
    demand, and an empty, truncated or undecodable file fails when read.

    Args:
        path (str): The frame folder. Its base name is the video's name.
        cache_frames (int): Keep up to this many decoded frames in an
            in-memory LRU cache (0 disables it). Overlapping windows read each
            frame ``clip_len / stride`` times per epoch, so a cache the size
            of the video saves most decoding. Defaults to 0.
        name (str, optional): Video name; defaults to the folder's base name.
        check_numbering (bool): Check the frame numbers in the file names
            for gaps and repeats. Defaults to True.

    Raises:
        DataNotFoundError: If ``path`` is not a folder (a FileNotFoundError).
        CorruptDataError: If ``path`` or a frame is a looping or dangling
            symbolic link.
        UserInputError: If the folder holds no image files, or its frame
            numbering has gaps or repeats (a ValueError).
    """

    def __init__(self,
                 path: str,
                 cache_frames: int = 0,
                 name: Optional[str] = None,
                 check_numbering: bool = True) -> None:
        path = osp.abspath(path)
        check_link(path)
        if not osp.isdir(path):
            raise DataNotFoundError(
                f'Frame folder {path} does not exist (expected a folder of '
                f'{"/".join(IMAGE_EXTENSIONS)} images).')
        self.path = path
        self.name = name if name is not None else osp.basename(path)
        self.files = list_frame_files(path)
        if not self.files:
            found = sorted(os.listdir(path))[:10]
            raise UserInputError(
                f'Frame folder {path} holds no image frames: expected files '
                f'ending in {", ".join(IMAGE_EXTENSIONS)}, found '
                f'{found or "nothing"}. Remove the empty folder or extract '
                'its frames.')
        if check_numbering:
            check_frame_numbers(path, self.files)
        self.cache_frames = int(cache_frames)
        self._cache: Dict[int, np.ndarray] = OrderedDict()

    @property
    def num_frames(self) -> int:
        return len(self.files)

    def frame_path(self, index: int) -> str:
        """Full path of frame ``index``."""
        return osp.join(self.path, self.files[self._check_index(index)])

    def read(self, index: int) -> np.ndarray:
        index = self._check_index(index)
        if self.cache_frames > 0 and index in self._cache:
            self._cache.move_to_end(index)
            return self._cache[index]
        file = osp.join(self.path, self.files[index])
        frame, problem = _decode(file)
        if frame is None:
            raise CorruptDataError(
                f'Cannot decode frame {index} of video {self.name!r}: '
                f'{file} {problem}. Re-extract this frame or remove the '
                'video.')
        if self.cache_frames > 0:
            frame.setflags(write=False)  # cached frames are shared
            self._cache[index] = frame
            if len(self._cache) > self.cache_frames:
                self._cache.popitem(last=False)
        return frame

    def check_frames(self) -> List[str]:
        """Decode every frame file once (bypassing the cache).

        Returns:
            list[str]: ``'<file> <problem>'`` per bad file, all of them.
        """
        problems = []
        for name in self.files:
            file = osp.join(self.path, name)
            frame, problem = _decode(file)
            if frame is None:
                problems.append(f'{file} {problem}')
        return problems

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_cache'] = OrderedDict()  # each worker fills its own cache
        return state

    def __repr__(self) -> str:
        return (f'FrameFolderSource(path={self.path!r}, '
                f'num_frames={self.num_frames})')
