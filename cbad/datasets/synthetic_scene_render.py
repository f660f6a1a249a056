"""Drawing of the synthetic walkway scene: the static background and actors.

Frames are drawn in grey on one uint8 channel with OpenCV's anti-aliased
primitives at 1/16 px precision (``shift=4``), so a pedestrian moving half a
pixel per frame still changes the image smoothly from frame to frame.
"""
from functools import lru_cache

import cv2
import numpy as np

from .synthetic_scene_tracks import SceneGeometry, Track

_SHIFT = 4
_ONE = 1 << _SHIFT  # fixed-point scale of OpenCV's ``shift`` argument


def _pt(x: float, y: float) -> tuple:
    return int(round(x * _ONE)), int(round(y * _ONE))


def _len(v: float) -> int:
    return max(int(round(v * _ONE)), _ONE // 2)


def _ellipse(img, x, y, ax, ay, grey, angle=0.0):
    cv2.ellipse(img, _pt(x, y), (_len(ax), _len(ay)), angle, 0, 360, grey, -1,
                cv2.LINE_AA, _SHIFT)


def _circle(img, x, y, r, grey, thickness=-1):
    cv2.circle(img, _pt(x, y), _len(r), grey, thickness, cv2.LINE_AA, _SHIFT)


def _line(img, x0, y0, x1, y1, grey, thickness):
    cv2.line(img, _pt(x0, y0), _pt(x1, y1), grey, thickness, cv2.LINE_AA,
             _SHIFT)


def _rect(img, x0, y0, x1, y1, grey):
    cv2.rectangle(img, _pt(x0, y0), _pt(x1, y1), grey, -1, cv2.LINE_AA, _SHIFT)


@lru_cache(maxsize=8)
def scene_background(seed: int, height: int, width: int) -> np.ndarray:
    """The static scene for ``seed``: building, lawn with benches and lamps,
    a paved walkway with lane markings. Cached and read-only.

    Returns:
        np.ndarray: (H, W) uint8 grey image.
    """
    rng = np.random.default_rng([seed, 1_000_003])
    geo = SceneGeometry(height, width)
    u = geo.unit
    coarse = cv2.GaussianBlur(
        rng.standard_normal((height, width)), (0, 0), 6 * u)
    coarse /= coarse.std() + 1e-8
    fine = cv2.GaussianBlur(rng.standard_normal((height, width)), (0, 0), 0.7)
    img = 8 * coarse + 6 * fine / (fine.std() + 1e-8)
    rows = np.arange(height)[:, None]
    path_top, wall_bottom = 0.3 * height, 0.12 * height
    img += np.where(rows < wall_bottom, 75, np.where(rows < path_top, 95, 140))
    # Paving joints on the walkway.
    tile = max(int(round(12 * u)), 4)
    joints = (np.arange(width)[None, :] % tile == 0) | (rows % tile == 0)
    img -= 10 * (joints & (rows >= path_top))
    img = np.clip(img, 0, 255).astype(np.uint8)
    # Windows in the building, at a fixed spacing so the wall reads as one.
    step = max(int(round(18 * u)), 6)
    for x in range(int(rng.integers(2, step)), width - step // 2, step):
        _rect(img, x, 0.025 * height, x + 0.45 * step, 0.09 * height,
              int(rng.integers(35, 60)))
    # Kerb lines and dashed lane separators.
    _line(img, 0, path_top, width, path_top, 185, max(int(u), 1))
    lane_ys = [y for y, _ in geo.lanes]
    for y0, y1 in zip(lane_ys[:-1], lane_ys[1:]):
        y = 0.5 * (y0 + y1) - 0.05 * height
        for x in np.arange(rng.uniform(0, 10 * u), width, 14 * u):
            _line(img, x, y, x + 7 * u, y, 175, 1)
    # Benches and lamp posts on the lawn.
    for _ in range(int(rng.integers(2, 4))):
        x, y = rng.uniform(0.05, 0.8) * width, rng.uniform(0.2, 0.26) * height
        grey = int(rng.integers(40, 70))
        _rect(img, x, y, x + 22 * u, y + 3 * u, grey)
        _rect(img, x, y - 5 * u, x + 22 * u, y - 3.5 * u, grey)
        for leg in (x + 2 * u, x + 19 * u):
            _line(img, leg, y, leg, y + 5 * u, grey, 1)
    for _ in range(int(rng.integers(1, 3))):
        x = rng.uniform(0.05, 0.95) * width
        _line(img, x, 0.29 * height, x, 0.1 * height, 50, max(int(u), 1))
        _circle(img, x, 0.1 * height, 2.5 * u, 215)
    img.setflags(write=False)
    return img


def _draw_person(img, geo: SceneGeometry, track: Track, j: int) -> None:
    x, y = float(track.x[j]), float(track.y[j])
    h = float(geo.person_height(y)) * track.size
    swing = 0.16 * h * float(track.gait[j]) * np.sin(float(track.phase[j]))
    leg = max(int(round(0.08 * h)), 1)
    leg_grey = max(track.grey - 25, 10)
    _line(img, x, y - 0.38 * h, x + swing, y, leg_grey, leg)
    _line(img, x, y - 0.38 * h, x - swing, y, leg_grey, leg)
    _ellipse(img, x, y - 0.6 * h, 0.16 * h, 0.26 * h, track.grey)
    _circle(img, x, y - 0.9 * h, 0.1 * h, track.accent)


def _draw_cyclist(img, geo: SceneGeometry, track: Track, j: int) -> None:
    x, y = float(track.x[j]), float(track.y[j])
    h = float(geo.person_height(y)) * track.size
    r, d = 0.17 * h, track.facing
    for wx in (x - 0.32 * h, x + 0.32 * h):
        _circle(img, wx, y - r, r, 30, 1)
    _line(img, x - 0.32 * h, y - r, x + 0.32 * h, y - r, 60, 1)
    pedal = 0.08 * h * np.cos(float(track.phase[j]))
    _line(img, x, y - 0.42 * h, x + pedal, y - r, max(track.grey - 25, 10),
          max(int(round(0.07 * h)), 1))
    _ellipse(
        img,
        x + d * 0.05 * h,
        y - 0.62 * h,
        0.13 * h,
        0.22 * h,
        track.grey,
        angle=d * 20)
    _circle(img, x + d * 0.14 * h, y - 0.9 * h, 0.1 * h, track.accent)


def _draw_vehicle(img, geo: SceneGeometry, track: Track, j: int) -> None:
    x, y = float(track.x[j]), float(track.y[j])
    length = 2.2 * float(geo.person_height(y)) * track.size
    half, d = 0.5 * length, track.facing
    _rect(img, x - half, y - 0.42 * length, x + half, y - 0.1 * length,
          track.grey)
    cabin_x = x - d * 0.1 * length
    _rect(img, cabin_x - 0.28 * length, y - 0.62 * length,
          cabin_x + 0.28 * length, y - 0.4 * length, track.grey)
    _rect(img, cabin_x - 0.22 * length, y - 0.58 * length,
          cabin_x + 0.22 * length, y - 0.44 * length, track.accent)
    for wx in (x - 0.3 * length, x + 0.3 * length):
        _circle(img, wx, y - 0.1 * length, 0.1 * length, 25)


def _draw_ball(img, geo: SceneGeometry, track: Track, j: int) -> None:
    _circle(img, float(track.x[j]), float(track.y[j]),
            0.02 * geo.height * track.size, track.grey)


_DRAW = {
    'person': _draw_person,
    'cyclist': _draw_cyclist,
    'vehicle': _draw_vehicle,
    'ball': _draw_ball
}


def draw_actors(img: np.ndarray, geo: SceneGeometry, tracks: list,
                frame: int) -> None:
    """Draw every track present at ``frame`` onto ``img`` in place, far
    (small ``y``) to near so that nearer actors occlude farther ones."""
    present = [(t, frame - t.start) for t in tracks
               if t.start <= frame < t.stop]
    present.sort(key=lambda item: item[0].y[item[1]])
    for track, j in present:
        _DRAW[track.shape](img, geo, track, j)
