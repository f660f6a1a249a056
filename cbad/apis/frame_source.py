"""Footage to run a detector on: video files, frame folders, cameras, streams.

:func:`open_input` opens one input and checks it can deliver a frame, so a
wrong path or an unreadable file fails at once with a message that says
what to do, before a model runs. The object it returns yields
``(index, timestamp_s, frame_bgr)``:

==================  ===============================  =======  =============
spec                kind                             total    timestamp
==================  ===============================  =======  =============
``clip.mp4``        any file ``cv2.VideoCapture``    count    index / fps
                    opens (mp4, avi, mkv, ...)
``frames/``         folder of images, natural order  count    index / fps
``0``               camera index (digits)            None     since start
``rtsp://...``      stream URL (has ``://``)         None     since start
==================  ===============================  =======  =============

A live source that stops delivering frames is reopened up to ``reconnect``
times (frame numbering continues); when every attempt fails it stops and
sets ``dropped``. A folder of video files is not one input:
:func:`list_videos` lists them, to open one by one.
"""
import logging
import os
import os.path as osp
import time
from typing import Iterator, List, Optional, Tuple, Union

import cv2
import numpy as np
from mmengine.logging import print_log

from cbad.datasets.sources.base import (IMAGE_EXTENSIONS, VIDEO_EXTENSIONS,
                                        natural_key)
from cbad.datasets.sources.frame_folder import list_frame_files

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
    """

    is_live = False
    dropped = False

    def __init__(self, path: str, fps: Optional[float] = None) -> None:
        self.spec = path
        self.path = osp.abspath(path)
        self.name = osp.basename(self.path.rstrip(os.sep))
        self.files = list_frame_files(self.path)
        self.fps = float(fps or DEFAULT_FPS)
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

    Args:
        spec (str | int): File path, camera index or stream URL.
        fps (float, optional): Overrides the frame rate the capture reports.
        reconnect (int): Live sources only: reopen attempts after a failed
            read before giving up. Defaults to 3.
        reconnect_wait (float): Seconds to wait before each attempt.
            Defaults to 1.0.

    Raises:
        ValueError: If OpenCV cannot open ``spec`` or it yields no frame.
    """

    dropped = False

    def __init__(self, spec: Union[str, int], fps: Optional[float] = None,
                 reconnect: int = 3, reconnect_wait: float = 1.0) -> None:
        self.spec = spec
        self.is_live = not isinstance(spec, str) or '://' in spec
        if isinstance(spec, int):
            self.name = f'camera{spec}'
        elif self.is_live:
            self.name = spec.rstrip('/').rsplit('/', 1)[-1] or 'stream'
        else:
            self.name = osp.splitext(osp.basename(spec))[0]
        self.reconnect = int(reconnect)
        self.reconnect_wait = float(reconnect_wait)
        self._cap = cv2.VideoCapture(spec)
        if not self._cap.isOpened():
            self._cap.release()
            raise ValueError(self._cannot('open'))
        ok, self._first = self._cap.read()
        if not ok or self._first is None:
            self._cap.release()
            raise ValueError(self._cannot('read a frame from'))
        reported = float(self._cap.get(cv2.CAP_PROP_FPS) or 0)
        if fps:
            self.fps = float(fps)
        elif 0 < reported < 1000:  # some streams report 0 or 90000
            self.fps = reported
        else:
            self.fps = DEFAULT_FPS
            _log(f'{spec}: the frame rate is unknown (reported {reported}); '
                 f'using {DEFAULT_FPS} fps. Pass fps (--fps) to set it.')
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.total = None if self.is_live or count <= 0 else count

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

    def _reopen(self, frames: int) -> Optional[np.ndarray]:
        """After a failed read of a live source: the next frame of a
        reopened capture, or None when every attempt failed."""
        self._cap.release()
        for attempt in range(1, self.reconnect + 1):
            _log(f'{self.spec}: stream dropped after {frames} frames, '
                 f'reconnecting ({attempt}/{self.reconnect})')
            time.sleep(self.reconnect_wait)
            self._cap = cv2.VideoCapture(self.spec)
            if self._cap.isOpened():
                ok, frame = self._cap.read()
                if ok and frame is not None:
                    return frame
            self._cap.release()
        self.dropped = True
        _log(f'{self.spec}: stream dropped after {frames} frames and '
             f'{self.reconnect} reconnect attempts failed; stopping.',
             logging.ERROR)
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
                    _log(f'{self.spec}: reading failed at frame {index} of '
                         f'the {self.total} the file reports; it is '
                         'truncated or corrupt. Ending the input there.')
        finally:
            self._cap.release()

    def close(self) -> None:
        """Release the capture."""
        self._cap.release()


Input = Union[FolderInput, CaptureInput]


def open_input(spec: Union[str, int],
               fps: Optional[float] = None,
               reconnect: int = 3,
               reconnect_wait: float = 1.0) -> Input:
    """Open one input, checking that it delivers a frame.

    Args:
        spec (str | int): A video file, a folder of frames, a camera index
            (an int, or a string of digits) or a stream URL (with ``://``).
        fps (float, optional): Frame rate for timestamps; defaults to the
            video's own, :data:`DEFAULT_FPS` for frame folders.
        reconnect (int): Reopen attempts when a live source drops.
            Defaults to 3.
        reconnect_wait (float): Seconds before each attempt. Defaults to 1.0.

    Returns:
        An iterable of ``(index, timestamp_s, frame_bgr)`` with attributes
        ``spec`` (as given), ``name``, ``fps``, ``total`` (frame count, None
        when live), ``is_live``, ``dropped`` and ``close()``.

    Raises:
        FileNotFoundError: If a path does not exist.
        ValueError: If the file is empty, OpenCV cannot open or read it, a
            folder holds no images (or holds videos: see
            :func:`list_videos`), or its first image is unreadable.
    """
    if isinstance(spec, str) and spec.isdigit():
        spec = int(spec)
    if isinstance(spec, int) or '://' in spec:
        return CaptureInput(spec, fps, reconnect, reconnect_wait)
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
    return CaptureInput(spec, fps, reconnect, reconnect_wait)
