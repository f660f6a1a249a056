"""Trajectories of the actors in the synthetic walkway scene.

Everything here is plain numpy driven by one ``np.random.Generator``, so a
video's actors are a pure function of its seed. Rendering lives in
``synthetic_scene_render.py``; the public API in ``synthetic_scene.py``.

Scene geometry (fractions of the frame, so it scales with the frame size):
three horizontal one-way lanes on a paved walkway, feet at ``LANE_Y * H``,
walking directions ``LANE_DIRECTIONS`` (+1 = left to right). One-way lanes
are what make "wrong way" a meaningful anomaly.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

LANE_Y = (0.45, 0.66, 0.87)
LANE_DIRECTIONS = (1, -1, 1)
WALK_SPEED = (0.5, 1.5)  # px/frame in a 120 x 160 frame; scaled by unit


@dataclass
class Track:
    """One actor's path over the frames ``start .. start + len(x) - 1``.

    Args:
        shape (str): What to draw: 'person', 'cyclist', 'vehicle' or 'ball'.
        behaviour (str): 'walk' for normal pedestrians, else an anomaly kind.
        start (int): Video frame of the first array entry.
        x (np.ndarray): (n,) horizontal centre in pixels.
        y (np.ndarray): (n,) ground contact row in pixels (feet, wheels); for
            a ball, the ball's centre.
        phase (np.ndarray): (n,) gait / pedalling phase in radians.
        gait (np.ndarray): (n,) leg swing amplitude in [0, 1]; 0 = standing.
        abnormal (np.ndarray): (n,) bool, True where this actor makes the
            frame anomalous.
        size (float): Size multiplier (person height factor, vehicle length
            factor, ball radius factor).
        grey (int): Main grey level.
        accent (int): Second grey level (head, windows, wheels).
        facing (int): +1 moving right, -1 moving left (orients shapes).
    """
    shape: str
    behaviour: str
    start: int
    x: np.ndarray
    y: np.ndarray
    phase: np.ndarray
    gait: np.ndarray
    abnormal: np.ndarray
    size: float
    grey: int
    accent: int
    facing: int = 1

    @property
    def stop(self) -> int:
        """One past the last video frame of the track."""
        return self.start + len(self.x)


class SceneGeometry:
    """Sizes and positions of the scene for one frame size.

    Args:
        height (int): Frame height H in pixels.
        width (int): Frame width W in pixels.
    """

    def __init__(self, height: int, width: int) -> None:
        self.height, self.width = height, width
        self.unit = min(height / 120, width / 160)  # px per reference px
        self.lanes = [(f * height, d) for f, d in zip(LANE_Y, LANE_DIRECTIONS)]
        self.margin = 0.15 * height  # off-screen distance before entering

    def person_height(self, y) -> np.ndarray:
        """Height in px of an average person whose feet are at row ``y``."""
        return self.height * (0.085 + 0.075 * np.clip(y / self.height, 0, 1))

    def extent(self, track: Track) -> tuple:
        """Per-frame half width, reach above ``y`` and reach below ``y``."""
        h = self.person_height(track.y) * track.size
        if track.shape == 'vehicle':
            return 1.1 * h, 0.9 * h, 0
        if track.shape == 'cyclist':
            return 0.55 * h, h, 0
        if track.shape == 'ball':
            r = 0.02 * self.height * track.size
            return r, r, r
        return 0.3 * h, h, 0

    def visible(self, track: Track) -> np.ndarray:
        """(n,) bool: whether any part of the actor lies inside the frame."""
        half_w, above, below = self.extent(track)
        return ((track.x + half_w > 0) & (track.x - half_w < self.width)
                & (track.y + below + 1 > 0) & (track.y - above < self.height))


def smooth_noise(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """(n,) Gaussian noise low-passed over ``sigma`` frames, unit std."""
    radius = int(3 * sigma) + 1
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma)**2)
    white = rng.standard_normal(n + 2 * radius)
    return np.convolve(white, kernel, 'valid')[:n] / np.sqrt(np.sum(kernel**2))


def _grey(rng: np.random.Generator) -> int:
    """A clothing grey level: mostly dark or bright, sometimes low-contrast."""
    band = rng.choice(3, p=[0.45, 0.35, 0.2])
    low, high = [(25, 85), (175, 235), (95, 120)][band]
    return int(rng.integers(low, high))


def person_track(rng: np.random.Generator,
                 geo: SceneGeometry,
                 behaviour: str,
                 start: float,
                 x: np.ndarray,
                 y: np.ndarray,
                 gait: Optional[np.ndarray] = None,
                 abnormal=False) -> Track:
    """A 'person' track with random looks whose gait phase follows the
    distance walked; other shapes reuse it and overwrite ``shape``."""
    step = np.abs(np.diff(x, prepend=x[0])) + np.abs(np.diff(y, prepend=y[0]))
    stride = 0.45 * geo.person_height(y)
    phase = rng.uniform(0, 2 * np.pi) + np.cumsum(step / stride) * np.pi
    gait = np.ones_like(x) if gait is None else gait
    return Track('person', behaviour, int(start), x, y, phase, gait,
                 np.broadcast_to(abnormal, x.shape).copy(),
                 float(rng.uniform(0.9, 1.1)), _grey(rng),
                 int(rng.integers(60, 200)), int(np.sign(x[-1] - x[0]) or 1))


def lane_walk(rng: np.random.Generator, geo: SceneGeometry, lane: int,
              speed: float, n: int, x0: float, direction: int) -> tuple:
    """(x, y) of ``n`` frames walking along ``lane`` from ``x0``, with
    jitter in speed and a slow sideways drift; arrays of shape (n,)."""
    lane_y = geo.lanes[lane][0]
    v = speed * (1 + 0.12 * smooth_noise(rng, n, 8))
    x = x0 + direction * np.cumsum(np.maximum(v, 0.3 * speed))
    y = (
        lane_y + rng.uniform(-3, 3) * geo.unit +
        0.8 * geo.unit * smooth_noise(rng, n, 15))
    return x, y


def crossing_frames(geo: SceneGeometry, speed: float) -> int:
    """Frames a walker at ``speed`` needs to cross the frame, with slack."""
    return int(np.ceil(1.6 * (geo.width + 2 * geo.margin) / speed)) + 2


def pedestrians(rng: np.random.Generator, geo: SceneGeometry,
                num_frames: int) -> list:
    """Normal walkers: Poisson arrivals per lane, lane direction, 0.5-1.5
    px/frame with jitter; the crowd density differs from video to video."""
    tracks = []
    per_lane = rng.uniform(0.4, 2.2)  # mean people in view per lane
    slowest = WALK_SPEED[0] * geo.unit
    burn_in = crossing_frames(geo, slowest)  # so frame 0 is already busy
    for lane, (_, direction) in enumerate(geo.lanes):
        crossing = geo.width / geo.unit  # frames at ~1 px/frame
        rate = per_lane * rng.uniform(0.6, 1.4) / crossing
        t = -burn_in + rng.exponential(1 / rate)
        while t < num_frames:
            speed = rng.uniform(*WALK_SPEED) * geo.unit
            n = crossing_frames(geo, speed)
            x, y = lane_walk(rng, geo, lane, speed, n, entry_x(geo, direction),
                             direction)
            tracks.append(person_track(rng, geo, 'walk', np.floor(t), x, y))
            t += rng.exponential(1 / rate)
    return tracks


def entry_x(geo: SceneGeometry, direction: int) -> float:
    """Off-screen x where an actor moving in ``direction`` starts."""
    return -geo.margin if direction > 0 else geo.width + geo.margin


def crop(track: Track, geo: SceneGeometry, num_frames: int) -> Optional[Track]:
    """Cut ``track`` to the frames of the video where it is visible.

    Returns:
        Track | None: The cropped track, or None if it is never visible.
    """
    frames = track.start + np.arange(len(track.x))
    keep = geo.visible(track) & (frames >= 0) & (frames < num_frames)
    if not keep.any():
        return None
    first, last = np.flatnonzero(keep)[[0, -1]]
    sl = slice(first, last + 1)
    track.abnormal = track.abnormal & keep
    for field in ('x', 'y', 'phase', 'gait', 'abnormal'):
        value = getattr(track, field)[sl]
        dtype = bool if field == 'abnormal' else np.float32
        setattr(track, field, np.ascontiguousarray(value, dtype=dtype))
    track.start += int(first)
    return track
