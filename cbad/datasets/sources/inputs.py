"""Footage to run a detector on: video files, frame folders, cameras, streams.

:func:`open_input` opens one input and checks it can deliver a frame, so a
wrong path or an unreadable file fails at once with a message that says
what to do, before a model runs. The object it returns yields
``(index, timestamp_s, frame_bgr)``:

======================  ===============================  =======  =============
spec                    kind                             total    timestamp
======================  ===============================  =======  =============
``clip.mp4``            any file ``cv2.VideoCapture``    count    index / fps
                        opens (mp4, avi, mkv, ...)
``frames/``             folder of images, natural order  count    index / fps
``0``                   camera index (digits, no such    None     since start
                        path exists)
``rtsp://...``          stream URL (has ``://``)         None     since start
``http://.../a.mp4``    URL whose capture reports a      count    index / fps
                        frame count (a file)
======================  ===============================  =======  =============

A URL is live unless, once opened, the capture reports a frame count: then
it is a file (``http://``, ``file://``, ...), read once to its end and never
reopened. A live source that stops delivering frames is reopened up to
``reconnect`` times per drop (frame numbering continues); when every
attempt fails it stops and sets ``dropped`` (and ``drop_reason``). Over the
whole run it is reconnected at most ``max_reconnects`` times (default
``10 * reconnect``), so a source that keeps dropping, or a file served
without a frame count, which would otherwise replay from its start after
each end, stops too. A folder of video files is not one input:
:func:`list_videos` lists them, to open one by one.
"""
import logging
import math
import os
import os.path as osp
import time
from typing import Iterator, List, Optional, Tuple, Union
from urllib.parse import urlsplit

import cv2
import numpy as np
from mmengine.logging import print_log

from .base import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, natural_key
from .frame_folder import list_frame_files

#: Frame rate of a frame folder, or of a video that reports none.
DEFAULT_FPS = 25.0

Frame = Tuple[int, float, np.ndarray]
_HINT = ('expected a video file, a folder of frames, a camera index (0) or '
         'a stream URL (rtsp://...)')


def _log(message: str, level: int = logging.WARNING) -> None:
    print_log(message, logger='current', level=level)


def list_videos(folder: str) -> List[str]:
    """Video files (by extension) directly in ``folder``, natural order."""
    return sorted((f for f in os.listdir(folder)
                   if f.lower().endswith(VIDEO_EXTENSIONS)
                   and not f.startswith('.')),
                  key=natural_key)


class FolderInput:
    """A folder of image frames, read in natural order (``2.jpg`` before
    ``10.jpg``).

    Args:
        path (str): The folder; its base name is the input's name.
        fps (float, optional): Frame rate for timestamps. Defaults to
            :data:`DEFAULT_FPS`.

    Raises:
        ValueError: If ``fps`` is not a positive number, or the first image
            is unreadable.
    """

    is_live = False
    dropped = False
    drop_reason = None

    def __init__(self, path: str, fps: Optional[float] = None) -> None:
        self.spec = path
        self.path = osp.abspath(path)
        self.name = osp.basename(self.path.rstrip(os.sep))
        self.files = list_frame_files(self.path)
        self.fps = check_fps(fps) or DEFAULT_FPS
        self.total = len(self.files)
        self._read(0)  # fail now, not after the model is loaded

    def _read(self, index: int) -> np.ndarray:
        file = osp.join(self.path, self.files[index])
        frame = cv2.imread(file, cv2.IMREAD_COLOR)
        if frame is None:
            raise ValueError(
                f'Cannot read image {file} (frame {index} of {self.path}): '
                'it is corrupt or not an image. Replace or remove it.')
        return frame

    def __iter__(self) -> Iterator[Frame]:
        for index in range(self.total):
            yield index, index / self.fps, self._read(index)

    def close(self) -> None:
        """Nothing to release (images are read one at a time)."""


class CaptureInput:
    """A video file, camera or stream read with ``cv2.VideoCapture``.

    A URL (``://``) is live unless the opened capture reports a frame count
    (> 0): then it is a file, read once to its end (see the module
    docstring).

    Args:
        spec (str | int): File path, camera index or stream URL.
        fps (float, optional): Overrides the frame rate the capture reports.
        reconnect (int): Live sources only: reopen attempts after a failed
            read before giving up. Defaults to 3.
        reconnect_wait (float): Seconds to wait before each attempt.
            Defaults to 1.0.
        max_reconnects (int, optional): Live sources only: successful
            reconnects allowed over the whole run; the next drop stops the
            input. Defaults to ``10 * reconnect``.

    Raises:
        ValueError: If OpenCV cannot open ``spec`` or it yields no frame, or
            ``fps`` is not a positive number.
    """

    dropped = False
    #: Why a live source stopped (set with ``dropped``), else None.
    drop_reason: Optional[str] = None

    def __init__(self, spec: Union[str, int], fps: Optional[float] = None,
                 reconnect: int = 3, reconnect_wait: float = 1.0,
                 max_reconnects: Optional[int] = None) -> None:
        self.spec = spec
        self.is_live = not isinstance(spec, str) or '://' in spec
        self.reconnect = int(reconnect)
        self.reconnect_wait = float(reconnect_wait)
        self.max_reconnects = int(10 * self.reconnect if max_reconnects is
                                  None else max_reconnects)
        self.reconnects = 0  # successful reconnects so far
        fps = check_fps(fps)
        self._cap = cv2.VideoCapture(spec)
        if not self._cap.isOpened():
            self._cap.release()
            raise ValueError(self._cannot('open'))
        ok, self._first = self._cap.read()
        if not ok or self._first is None:
            self._cap.release()
            raise ValueError(self._cannot('read a frame from'))
        count = _frame_count(self._cap)
        if isinstance(spec, str) and count > 0:
            self.is_live = False  # a URL of a file: ends at its end
        self.total = None if self.is_live else (count or None)
        if isinstance(spec, int):
            self.name = f'camera{spec}'
        elif '://' in spec:
            parts = urlsplit(spec)
            tail = (parts.netloc + parts.path).rstrip('/').rsplit('/', 1)[-1]
            self.name = ((tail if self.is_live else osp.splitext(tail)[0])
                         or 'stream')
        else:
            self.name = osp.splitext(osp.basename(spec))[0]
        reported = float(self._cap.get(cv2.CAP_PROP_FPS) or 0)
        if fps:
            self.fps = fps
        elif 0 < reported < 1000:  # some report 0, NaN or 90000
            self.fps = reported
        else:
            self.fps = DEFAULT_FPS
            _log(f'{spec}: the frame rate is unknown (reported {reported}); '
                 f'using {DEFAULT_FPS} fps. Pass fps (--fps) to set it.')

    def _cannot(self, what: str) -> str:
        if isinstance(self.spec, int):
            return (f'OpenCV cannot {what} camera {self.spec}: check that it '
                    'is connected and not in use by another program.')
        if self.is_live:
            return (f'OpenCV cannot {what} the stream {self.spec}: check '
                    'that the URL is right and the stream reachable.')
        return (f'OpenCV cannot {what} {self.spec}: the file is corrupt, '
                'not a video, or uses a codec this OpenCV build lacks. '
                'Convert it (ffmpeg -i IN -c:v mjpeg OUT.avi) or extract '
                'its frames to a folder.')

    def _stop(self, reason: str) -> None:
        self.dropped = True
        self.drop_reason = f'the stream {reason}'
        _log(f'{self.spec}: stream {reason}; stopping.', logging.ERROR)

    def _reopen(self, frames: int) -> Optional[np.ndarray]:
        """After a failed read of a live source: the next frame of a
        reopened capture, or None when every attempt failed or the run's
        ``max_reconnects`` are used up."""
        self._cap.release()
        if self.reconnect > 0 and self.reconnects >= self.max_reconnects:
            self._stop(f'dropped after {frames} frames and was already '
                       f'reconnected {self.reconnects} times, the most '
                       f'allowed in one run (max_reconnects='
                       f'{self.max_reconnects})')
            return None
        for attempt in range(1, self.reconnect + 1):
            _log(f'{self.spec}: stream dropped after {frames} frames, '
                 f'reconnecting ({attempt}/{self.reconnect})')
            time.sleep(self.reconnect_wait)
            self._cap = cv2.VideoCapture(self.spec)
            if self._cap.isOpened():
                ok, frame = self._cap.read()
                if ok and frame is not None:
                    self.reconnects += 1
                    return frame
            self._cap.release()
        self._stop(f'dropped after {frames} frames and {self.reconnect} '
                   'reconnect attempts failed')
        return None

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        index, frame = 0, self._first
        self._first = None
        try:
            while frame is not None:
                timestamp = (time.monotonic() - start if self.is_live else
                             index / self.fps)
                yield index, timestamp, frame
                index += 1
                ok, frame = self._cap.read()
                if ok and frame is not None:
                    continue
                frame = None
                if self.is_live:
                    frame = self._reopen(index)
                elif self.total is not None and index < self.total:
                    _log(f'{self.spec}: the container announced '
                         f'{self.total} frames, {index} were decoded; ending '
                         'the input there. The announced count is often an '
                         'overestimate; if frames are missing, the file may '
                         'be truncated or corrupt.')
        finally:
            self._cap.release()

    def close(self) -> None:
        """Release the capture."""
        self._cap.release()


def _frame_count(cap: cv2.VideoCapture) -> int:
    """The frame count a capture reports; 0 when unknown (0, -1, NaN)."""
    count = float(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    return int(count) if math.isfinite(count) and count > 0 else 0


def check_fps(fps: Optional[float]) -> Optional[float]:
    """``fps`` as a float, None kept.

    Raises:
        ValueError: If it is not a finite number > 0.
    """
    if fps is None:
        return None
    fps = float(fps)
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f'fps must be a number > 0, got {fps}.')
    return fps


Input = Union[FolderInput, CaptureInput]


def open_input(spec: Union[str, int],
               fps: Optional[float] = None,
               reconnect: int = 3,
               reconnect_wait: float = 1.0,
               max_reconnects: Optional[int] = None) -> Input:
    """Open one input, checking that it delivers a frame.

    Args:
        spec (str | int): A video file, a folder of frames, a camera index
            (an int, or a string of digits that names no existing file or
            folder: Ped2's frame folders are called ``01``, ``02``, ...) or
            a stream URL (with ``://``).
        fps (float, optional): Frame rate for timestamps; defaults to the
            video's own, :data:`DEFAULT_FPS` for frame folders.
        reconnect (int): Reopen attempts when a live source drops.
            Defaults to 3.
        reconnect_wait (float): Seconds before each attempt. Defaults to 1.0.
        max_reconnects (int, optional): Successful reconnects of a live
            source allowed over the whole run. Defaults to
            ``10 * reconnect``.

    Returns:
        An iterable of ``(index, timestamp_s, frame_bgr)`` with attributes
        ``spec`` (as given), ``name``, ``fps``, ``total`` (frame count, None
        when live), ``is_live``, ``dropped``, ``drop_reason`` and
        ``close()``.

    Raises:
        FileNotFoundError: If a path does not exist.
        ValueError: If the file is empty, OpenCV cannot open or read it, a
            folder holds no images (or holds videos: see
            :func:`list_videos`), its first image is unreadable, or ``fps``
            is not a positive number.
    """
    check_fps(fps)
    if isinstance(spec, str) and spec.isdigit() and not osp.exists(spec):
        spec = int(spec)  # an existing file or folder "01" wins
    if isinstance(spec, int) or '://' in spec:
        return CaptureInput(spec, fps, reconnect, reconnect_wait,
                            max_reconnects)
    if not osp.exists(spec):
        raise FileNotFoundError(f'{spec} does not exist; {_HINT}.')
    if osp.isdir(spec):
        if list_frame_files(spec):
            return FolderInput(spec, fps)
        videos = list_videos(spec)
        if videos:
            raise ValueError(
                f'{spec} is a folder of {len(videos)} videos, not one input: '
                'open each of list_videos(folder) (tools/infer.py does, with '
                'one output folder per video).')
        raise ValueError(
            f'{spec} holds no images ({", ".join(IMAGE_EXTENSIONS)}) and no '
            f'videos ({", ".join(VIDEO_EXTENSIONS)}); {_HINT}.')
    if osp.getsize(spec) == 0:
        raise ValueError(f'{spec} is empty (0 bytes): re-copy the video or '
                         'pass another input.')
    return CaptureInput(spec, fps, reconnect, reconnect_wait, max_reconnects)
