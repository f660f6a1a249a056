"""A video stored as a folder of image files, one per frame."""
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional

import cv2
import numpy as np

from .base import IMAGE_EXTENSIONS, FrameSource, natural_key


def list_frame_files(path: str) -> List[str]:
    """Image file names in ``path``, in natural numeric order."""
    return sorted((f for f in os.listdir(path)
                   if f.lower().endswith(IMAGE_EXTENSIONS)
                   and not f.startswith('.')),
                  key=natural_key)


class FrameFolderSource(FrameSource):
    """A video whose frames are image files in one folder.

    Frames are ``*.jpg``, ``*.jpeg``, ``*.png``, ``*.tif``/``*.tiff`` or
    ``*.bmp`` files, ordered by natural numeric sort (``2.jpg`` before
    ``10.jpg``); other files are ignored. The folder is listed once at
    construction; images are decoded on demand.

    Args:
        path (str): The frame folder. Its base name is the video's name.
        cache_frames (int): Keep up to this many decoded frames in an
            in-memory LRU cache (0 disables it). Overlapping windows read each
            frame ``clip_len / stride`` times per epoch, so a cache the size
            of the video saves most decoding. Defaults to 0.
        name (str, optional): Video name; defaults to the folder's base name.

    Raises:
        FileNotFoundError: If ``path`` is not a folder.
        ValueError: If the folder holds no image files.
    """

    def __init__(self,
                 path: str,
                 cache_frames: int = 0,
                 name: Optional[str] = None) -> None:
        path = osp.abspath(path)
        if not osp.isdir(path):
            raise FileNotFoundError(
                f'Frame folder {path} does not exist (expected a folder of '
                f'{"/".join(IMAGE_EXTENSIONS)} images).')
        self.path = path
        self.name = name if name is not None else osp.basename(path)
        self.files = list_frame_files(path)
        if not self.files:
            found = sorted(os.listdir(path))[:10]
            raise ValueError(
                f'Frame folder {path} holds no image frames: expected files '
                f'ending in {", ".join(IMAGE_EXTENSIONS)}, found '
                f'{found or "nothing"}. Remove the empty folder or extract '
                'its frames.')
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
        frame = cv2.imread(file, cv2.IMREAD_COLOR)
        if frame is None:
            raise OSError(
                f'Cannot decode frame {index} of video {self.name!r}: '
                f'{file} is unreadable or corrupt. Re-extract this frame or '
                'remove the video.')
        if self.cache_frames > 0:
            frame.setflags(write=False)  # cached frames are shared
            self._cache[index] = frame
            if len(self._cache) > self.cache_frames:
                self._cache.popitem(last=False)
        return frame

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_cache'] = OrderedDict()  # each worker fills its own cache
        return state

    def __repr__(self) -> str:
        return (f'FrameFolderSource(path={self.path!r}, '
                f'num_frames={self.num_frames})')
