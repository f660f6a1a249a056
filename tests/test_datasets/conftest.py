"""Tiny fake video data written to tmp_path (a few 24x32 frames each)."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

HEIGHT, WIDTH = 24, 32


def frame(value: int) -> np.ndarray:
    """A flat BGR frame whose gray level encodes its id (JPEG-robust)."""
    return np.full((HEIGHT, WIDTH, 3), (value * 10) % 250, np.uint8)


def write_frames(folder, num_frames: int, ext: str = '.jpg',
                 start: int = 0, digits: int = 3) -> str:
    os.makedirs(folder, exist_ok=True)
    for i in range(num_frames):
        name = f'{start + i:0{digits}d}{ext}'
        assert cv2.imwrite(osp.join(str(folder), name), frame(start + i))
    return str(folder)


def write_video(path, num_frames: int) -> str:
    os.makedirs(osp.dirname(str(path)), exist_ok=True)
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'MJPG'), 25, (WIDTH, HEIGHT))
    assert writer.isOpened()
    for i in range(num_frames):
        writer.write(frame(i))
    writer.release()
    return str(path)


def frame_id(img: np.ndarray) -> int:
    """Recover the id a frame was written with (values are multiples of 10)."""
    return int(round(float(img.mean()) / 10))


@pytest.fixture
def fakes():
    """The helpers above, for tests (conftest modules are not importable)."""

    class Fakes:
        pass

    helpers = Fakes()
    for fn in (frame, write_frames, write_video, frame_id):
        setattr(helpers, fn.__name__, staticmethod(fn))
    helpers.HEIGHT, helpers.WIDTH = HEIGHT, WIDTH
    return helpers
