"""The interface every frame source implements, plus small shared helpers."""
import errno
import os
import os.path as osp
import re
from typing import List, Sequence

import cv2
import numpy as np

from cbad.utils.errors import CorruptDataError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp')
VIDEO_EXTENSIONS = ('.avi', '.mp4', '.mov', '.mkv', '.mpg', '.mpeg', '.wmv',
                    '.m4v', '.webm')


def natural_key(text: str) -> List:
    """Sort key that orders embedded numbers by value ('2.jpg' < '10.jpg')."""
    return [int(part) if part.isdigit() else part.lower()
            for part in re.split(r'(\d+)', text)]


def check_link(path: str) -> None:
    """Fail clearly if ``path`` is a symbolic link that loops or dangles.

    Without this check a looping link looks like a missing path
    (``os.path.isdir`` is False), so a video would be skipped silently or a
    data root reported as absent.

    Args:
        path (str): A path that should lead to data.

    Raises:
        CorruptDataError: If ``path`` (or a folder on the way to it) is a
            cycle of symbolic links, or ``path`` is a link to nothing.
    """
    try:
        os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise CorruptDataError(
                f'{path} is a symbolic link that loops (a cycle of links '
                'leads back to itself); expected it to lead to data. Point '
                'the link at the real file or folder, or remove it.') from None
        if osp.islink(path):
            raise CorruptDataError(
                f'{path} is a symbolic link to {os.readlink(path)!r}, which '
                'does not exist; expected it to lead to data. Fix the link '
                'or remove it.') from None


def list_folder(path: str) -> List[str]:
    """Entries of ``path`` in natural order, hidden ones (``.*``) skipped.

    Raises:
        CorruptDataError: If an entry is a looping or dangling symbolic link
            (instead of silently skipping that video).
    """
    names = []
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.name.startswith('.'):
                continue
            if entry.is_symlink():
                check_link(entry.path)
            names.append(entry.name)
    return sorted(names, key=natural_key)


def read_grey(source, index: int) -> np.ndarray:
    """Frame ``index`` of any source (anything with ``read``, the synthetic
    scene's too) as (H, W) uint8 grey: the object-centric unit reads whole
    videos frame by frame, never a whole colour copy."""
    return cv2.cvtColor(source.read(index), cv2.COLOR_BGR2GRAY)


class FrameSource:
    """A video that can be read frame by frame (abstract base).

    Subclasses set :attr:`name` and implement :attr:`num_frames` and
    :meth:`read`. Sources are shared by every clip of their video inside a
    dataset and are pickled into data-loader workers, so they must stay
    lightweight: open files lazily and drop handles and caches when pickled.

    Attributes:
        name (str): The video's name (frame folder name or file stem).
    """

    name: str

    @property
    def num_frames(self) -> int:
        """int: Number of frames of the video."""
        raise NotImplementedError

    def __len__(self) -> int:
        return self.num_frames

    def read(self, index: int) -> np.ndarray:
        """Read one frame.

        Args:
            index (int): 0-based frame id.

        Returns:
            np.ndarray: The frame, shape (H, W, 3), uint8, BGR.
        """
        raise NotImplementedError

    def read_clip(self, indices: Sequence[int]) -> np.ndarray:
        """Read several frames (ids may repeat, as in padded clips).

        Args:
            indices (Sequence[int]): 0-based frame ids.

        Returns:
            np.ndarray: Frames stacked, shape (T, H, W, 3), uint8, BGR.

        Raises:
            ValueError: If the frames do not all have the same size.
        """
        frames = [self.read(int(i)) for i in indices]
        return stack_frames(frames, indices, self.name)

    def check_frames(self) -> List[str]:
        """Read every frame once, to find corrupt ones before any scoring.

        Returns:
            list[str]: One message per unreadable frame (empty when all are
            readable). Reading stops at the first bad frame of a source that
            decodes sequentially (a video file); frame folders report all.
        """
        for index in range(self.num_frames):
            try:
                self.read(index)
            except CorruptDataError as err:
                return [str(err)]
        return []

    def _check_index(self, index: int) -> int:
        index = int(index)
        if not 0 <= index < self.num_frames:
            raise IndexError(
                f'Frame {index} out of range for video {self.name!r} with '
                f'{self.num_frames} frames (valid ids: 0..'
                f'{self.num_frames - 1}).')
        return index

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name={self.name!r})'


def stack_frames(frames: List[np.ndarray], indices: Sequence[int],
                 name: str) -> np.ndarray:
    """Stack frames into (T, H, W, C), with a clear error on mixed sizes."""
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        found = ', '.join(f'frame {int(i)}: {f.shape}'
                          for i, f in zip(indices, frames))
        raise ValueError(
            f'Frames of video {name!r} differ in size ({found}); expected '
            'every frame of a video to have the same size. Re-export the '
            'video with a constant frame size.')
    return np.stack(frames, axis=0)
