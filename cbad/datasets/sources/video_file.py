"""A video stored as one file, decoded with OpenCV."""
import logging
import os
import os.path as osp
from collections import OrderedDict
from typing import Optional, Sequence

import cv2
import numpy as np
from mmengine.logging import print_log

from cbad.utils.errors import CorruptDataError, DataNotFoundError
from .base import FrameSource, check_link, stack_frames

# Decoded videos of this process, (path, mtime, size) -> (T, H, W, 3) frames,
# least recently used first. Shared by all sources, so one budget bounds them.
_DECODED: 'OrderedDict[tuple, np.ndarray]' = OrderedDict()


class VideoFileSource(FrameSource):
    """A video file (``.avi``, ``.mp4``, ...) read with ``cv2.VideoCapture``.

    The file is opened lazily. The frame count comes from the container's
    ``CAP_PROP_FRAME_COUNT`` when a quick check confirms it (the last frame
    decodes and nothing follows it); otherwise the video is decoded once to
    count its frames, since some codecs (e.g. XviD) report wrong counts.

    With ``cache=True`` the whole video is decoded into memory on the first
    read (``num_frames * H * W * 3`` bytes), which makes the random access of
    shuffled training clips cheap and exact. Decoded videos share one
    per-process budget, :attr:`cache_limit_bytes`; past it the least recently
    used video is dropped (and decoded again when next read, which is slow:
    extract frames to folders for large datasets such as ShanghaiTech). With
    ``cache=False`` each read seeks, which saves memory but is slower and,
    for some codecs, only as exact as the container's index.

    Args:
        path (str): The video file. Its stem is the video's name.
        cache (bool): Decode the whole video on first read. Defaults to True.
        name (str, optional): Video name; defaults to the file's stem.

    Raises:
        DataNotFoundError: If ``path`` does not exist (a FileNotFoundError).
        CorruptDataError: If the file is empty (0 bytes) or a looping or
            dangling link; later, if it cannot be opened or decoded (an
            OSError and a ValueError).
    """

    #: Per-process memory budget of decoded videos (all sources together).
    cache_limit_bytes: int = 8 * 1024**3

    def __init__(self,
                 path: str,
                 cache: bool = True,
                 name: Optional[str] = None) -> None:
        path = osp.abspath(path)
        check_link(path)
        if not osp.isfile(path):
            raise DataNotFoundError(f'Video file {path} does not exist.')
        if osp.getsize(path) == 0:
            raise CorruptDataError(
                f'Video file {path} is empty (0 bytes); expected a video. '
                'Re-copy or remove it.')
        self.path = path
        stat = os.stat(path)
        # A rewritten file must not hit frames decoded from its old content.
        self._cache_key = (path, stat.st_mtime_ns, stat.st_size)
        self.name = name if name is not None else osp.splitext(
            osp.basename(path))[0]
        self.cache = cache
        self._num_frames: Optional[int] = None
        self._cap = None
        self._next_index = 0  # frame the open capture decodes next

    def _open(self) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(self.path)
        if not cap.isOpened():
            cap.release()
            raise CorruptDataError(
                f'OpenCV cannot open video file {self.path}: the file is '
                'corrupt or its codec is not supported by this OpenCV build. '
                'Convert it (e.g. ffmpeg -i IN -c:v mjpeg OUT.avi) or extract '
                'its frames to a folder.')
        return cap

    @property
    def num_frames(self) -> int:
        if self._num_frames is None:
            self._num_frames = self._count_frames()
        return self._num_frames

    def _count_frames(self) -> int:
        cap = self._open()
        try:
            reported = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            if reported > 0:
                # Trust the header only if its last frame decodes and no
                # frame follows it.
                cap.set(cv2.CAP_PROP_POS_FRAMES, reported - 1)
                if cap.grab() and not cap.grab():
                    return reported
                cap.release()  # header unreliable: count from the start
                cap = self._open()
            count = 0
            while cap.grab():
                count += 1
        finally:
            cap.release()
        if count == 0:
            raise CorruptDataError(
                f'Video file {self.path} has no decodable frames; expected at '
                'least 1. The file is empty, truncated or uses a codec this '
                'OpenCV build cannot decode.')
        return count

    def _decode_all(self) -> np.ndarray:
        cap = self._open()
        frames = []
        try:
            while len(frames) < self.num_frames:
                ok, frame = cap.read()
                if not ok:
                    break
                frames.append(frame)
        finally:
            cap.release()
        if len(frames) < self.num_frames:
            raise CorruptDataError(
                f'Video file {self.path} decoded {len(frames)} frames, but '
                f'{self.num_frames} were expected; the file is truncated or '
                'corrupt. Re-encode it or extract its frames to a folder.')
        return stack_frames(frames, range(len(frames)), self.name)

    def _seek_read(self, index: int) -> np.ndarray:
        if self._cap is None:
            self._cap = self._open()
            self._next_index = 0
        if index != self._next_index:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = self._cap.read()
        if not ok:
            self._cap.release()
            self._cap = None
            raise CorruptDataError(
                f'Cannot decode frame {index} of video file {self.path} '
                f'({self.num_frames} frames); the file is truncated or '
                'corrupt.')
        self._next_index = index + 1
        return frame

    def _decoded(self) -> np.ndarray:
        """All frames, from the shared cache or decoded now."""
        frames = _DECODED.get(self._cache_key)
        if frames is not None:
            _DECODED.move_to_end(self._cache_key)
            return frames
        frames = self._decode_all()
        frames.setflags(write=False)  # shared by every clip
        _DECODED[self._cache_key] = frames
        total = sum(f.nbytes for f in _DECODED.values())
        while total > self.cache_limit_bytes and len(_DECODED) > 1:
            _, dropped = _DECODED.popitem(last=False)
            total -= dropped.nbytes
            print_log(
                'VideoFileSource: decoded-video cache is over '
                f'{self.cache_limit_bytes / 1024**3:.1f} GiB; dropping the '
                'least recently used video. Reads will re-decode videos: '
                'extract frames to folders, raise '
                'VideoFileSource.cache_limit_bytes, or use cache=False.',
                logger='current', level=logging.WARNING)
        return frames

    def read(self, index: int) -> np.ndarray:
        index = self._check_index(index)
        if not self.cache:
            return self._seek_read(index)
        return self._decoded()[index]

    def read_clip(self, indices: Sequence[int]) -> np.ndarray:
        if self.cache:
            ids = np.asarray([self._check_index(i) for i in indices])
            return self._decoded()[ids]  # fancy indexing copies
        return super().read_clip(indices)

    def release(self) -> None:
        """Close the capture and drop this video's decoded frames."""
        if self._cap is not None:
            self._cap.release()
        self._cap = None
        _DECODED.pop(self._cache_key, None)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_cap'] = None  # handles don't pickle; reopened lazily
        state['_next_index'] = 0
        return state

    def __del__(self) -> None:
        cap = self.__dict__.get('_cap')
        if cap is not None:
            cap.release()

    def __repr__(self) -> str:
        return f'VideoFileSource(path={self.path!r}, cache={self.cache})'
