"""A built-in synthetic walkway scene: anomaly detection data with no download.

A fixed camera looks at a paved walkway with three one-way lanes (directions
right, left, right from far to near). Normal videos show pedestrians walking
along the lanes in their direction at 0.5-1.5 px/frame, entering and leaving
the frame, in crowds of different density, over mild sensor noise and a slow
global illumination flicker. Test videos add labelled anomalous events:

==============  =========================================================
kind            what happens (a frame is abnormal while it is visible)
==============  =========================================================
``cyclist``     a cyclist rides along a lane at 3-6 px/frame
``vehicle``     a small vehicle (about 10x a person's area) drives along
``thrown``      a small ball flies fast in a parabola and bounces away
``running``     a person runs along a lane at 2.4-3.6 px/frame
``zigzag``      a person cuts across all lanes top to bottom, swerving
``wrong_way``   a walker turns round and walks against the lane direction
``loitering``   a walker stops still in the lane for 35-60 frames
==============  =========================================================

Frames are rendered on demand from (seed, split, video, frame) alone, so the
same call gives identical pixels in every process, and a source pickles to a
few kilobytes of trajectories. At 120 x 160 one core renders a few thousand
frames per second. ``make demo`` trains and tests on it in minutes.

Example:
    >>> for source, labels in synthetic_videos('test', seed=0):
    ...     clip = source.read_clip([0, 1, 2])  # (3, 120, 160, 3) uint8
    ...     print(source.name, source.events)
"""
from typing import Optional, Sequence

import cv2
import numpy as np

from .synthetic_scene_anomalies import (ANOMALY_KINDS, NOMINAL_EVENT_FRAMES,
                                        anomaly)
from .synthetic_scene_render import draw_actors, scene_background
from .synthetic_scene_tracks import (SceneGeometry, crop, pedestrians,
                                     smooth_noise)

__all__ = ['SyntheticVideoSource', 'synthetic_videos', 'ANOMALY_KINDS']

_SPLITS = {'train': 0, 'test': 1}
_DEFAULT_NUM_VIDEOS = {'train': 8, 'test': 6}
_MIN_TEST_FRAMES = 16  # room for a normal lead-in and a short event


class SyntheticVideoSource:
    """A frame source (``name``, ``num_frames``, ``read``, ``read_clip``)
    that renders one synthetic video on demand.

    Build these with :func:`synthetic_videos`; the constructor takes the
    precomputed plan of one video.

    Args:
        name (str): Video name, e.g. ``'test_03'``.
        num_frames (int): Number of frames.
        height (int): Frame height H.
        width (int): Frame width W.
        seed (int): Scene seed; selects the background.
        noise_key (Sequence[int]): Integers that, with the frame index, seed
            the per-frame sensor noise.
        tracks (list): The actors (``Track``) cropped to this video.
        gain (np.ndarray): (num_frames,) global illumination gain per frame.
        noise_std (float): Standard deviation of the sensor noise in grey
            levels.
        events (list[tuple[str, int, int]]): ``(kind, start, end)`` of every
            anomalous event, ``end`` exclusive. Empty for normal videos.
    """

    def __init__(self,
                 name: str,
                 num_frames: int,
                 height: int,
                 width: int,
                 seed: int,
                 noise_key: Sequence[int],
                 tracks: list,
                 gain: np.ndarray,
                 noise_std: float,
                 events: Optional[list] = None) -> None:
        self.name = name
        self.num_frames = int(num_frames)
        self.height, self.width = int(height), int(width)
        self.seed = int(seed)
        self.noise_key = tuple(int(k) for k in noise_key)
        self.tracks = tracks
        self.gain = np.asarray(gain, dtype=np.float32)
        self.noise_std = float(noise_std)
        self.events = list(events or [])

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(name={self.name!r}, num_frames='
                f'{self.num_frames}, size={self.height}x{self.width}, '
                f'events={self.events})')

    def read(self, i: int) -> np.ndarray:
        """Render frame ``i``.

        Args:
            i (int): Frame index in ``[0, num_frames)``.

        Returns:
            np.ndarray: (H, W, 3) uint8 BGR frame (grey content).
        """
        if not 0 <= int(i) < self.num_frames or int(i) != i:
            raise IndexError(
                f'{self.name}: frame index must be an integer in [0, '
                f'{self.num_frames}), found {i!r}. Use indices from the '
                'clip index of this video.')
        i = int(i)
        geo = SceneGeometry(self.height, self.width)
        canvas = scene_background(self.seed, self.height, self.width).copy()
        draw_actors(canvas, geo, self.tracks, i)
        rng = np.random.default_rng([*self.noise_key, i])
        noise = rng.standard_normal(canvas.shape, dtype=np.float32)
        frame = canvas * self.gain[i] + self.noise_std * noise
        grey = np.clip(frame + 0.5, 0, 255).astype(np.uint8)
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)

    def read_clip(self, indices: Sequence[int]) -> np.ndarray:
        """Render the frames ``indices``.

        Args:
            indices (Sequence[int]): T frame indices (any order, repeats
                allowed).

        Returns:
            np.ndarray: (T, H, W, 3) uint8 BGR frames.
        """
        frames = [self.read(i) for i in np.asarray(indices).reshape(-1)]
        if not frames:
            return np.zeros((0, self.height, self.width, 3), np.uint8)
        return np.stack(frames)


def _assign_kinds(rng: np.random.Generator, num_videos: int,
                  kinds: Sequence[str]) -> list:
    """Anomaly kinds of each test video so that every kind appears when
    there are enough videos and twice as many slots: one event per video,
    the kinds left over (the shortest) added to the videos whose first
    event is shortest, so two events still fit in one video."""
    order = sorted(kinds, key=lambda k: -NOMINAL_EVENT_FRAMES[k])
    plan = [[order[v % len(order)]] for v in range(num_videos)]
    receivers = sorted(
        range(num_videos), key=lambda v: NOMINAL_EVENT_FRAMES[plan[v][0]])
    for i, kind in enumerate(order[num_videos:]):
        plan[receivers[i % num_videos]].append(kind)
    plan = [plan[v] for v in rng.permutation(num_videos)]
    return [list(rng.permutation(p)) for p in plan]


def _plan_events(rng, geo, kinds, num_frames):
    """Anomalous actors of one test video: a normal lead-in of 8-25 frames,
    then the events in order, 10-25 normal frames apart where they fit.
    Events that do not fit start late and may run to the end or overlap."""
    tracks, events = [], []
    cursor = min(int(rng.integers(8, 26)), num_frames // 4)
    for kind in kinds:
        start = min(cursor, num_frames - 6)
        track = crop(anomaly(rng, geo, str(kind), start), geo, num_frames)
        frames = np.flatnonzero(track.abnormal) + track.start
        tracks.append(track)
        events.append((str(kind), int(frames[0]), int(frames[-1]) + 1))
        cursor = events[-1][2] + int(rng.integers(10, 26))
    return tracks, events


def synthetic_videos(split: str,
                     seed: int = 0,
                     num_videos: Optional[int] = None,
                     num_frames: int = 120,
                     height: int = 120,
                     width: int = 160,
                     noise_std: float = 2.0,
                     flicker: float = 0.02,
                     anomaly_kinds: Optional[Sequence[str]] = None) -> list:
    """Build the synthetic walkway videos of one split.

    Args:
        split (str): 'train' (normal videos, no labels) or 'test' (normal
            stretches and labelled anomalous events in every video).
        seed (int): Scene seed. The same arguments give identical frames in
            any process; a different seed changes background and actors.
            Default: 0.
        num_videos (int, optional): Number of videos. Default: None, meaning
            8 for 'train' and 6 for 'test'.
        num_frames (int): Frames per video. Default: 120.
        height (int): Frame height H. Default: 120.
        width (int): Frame width W. Default: 160.
        noise_std (float): Sensor noise std in grey levels. Default: 2.0.
        flicker (float): Std of the global illumination gain around 1.
            Default: 0.02.
        anomaly_kinds (Sequence[str], optional): Kinds of anomaly to stage
            in 'test', a subset of :data:`ANOMALY_KINDS`. Every kind appears
            at least once when ``2 * num_videos >= len(anomaly_kinds)``.
            Default: None, meaning all kinds.

    Returns:
        list[tuple[SyntheticVideoSource, np.ndarray | None]]: One
        ``(source, labels)`` per video; ``labels`` is a (num_frames,) uint8
        array of 0 (normal) / 1 (abnormal) for 'test' and None for 'train'.
        The events are in ``source.events``.
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {sorted(_SPLITS)}, found "
                         f'{split!r}.')
    kinds = list(ANOMALY_KINDS if anomaly_kinds is None else anomaly_kinds)
    unknown = sorted(set(kinds) - set(ANOMALY_KINDS))
    if unknown or not kinds:
        raise ValueError(f'anomaly_kinds must be a non-empty subset of '
                         f'{ANOMALY_KINDS}, found {anomaly_kinds!r}.')
    min_frames = _MIN_TEST_FRAMES if split == 'test' else 1
    if num_frames < min_frames or min(height, width) < 32:
        raise ValueError(
            f'expected num_frames >= {min_frames} for split {split!r} and '
            f'height, width >= 32; found num_frames={num_frames}, '
            f'height={height}, width={width}. Increase them.')
    if num_videos is None:
        num_videos = _DEFAULT_NUM_VIDEOS[split]
    if num_videos < 1:
        raise ValueError(f'num_videos must be >= 1, found {num_videos}.')
    split_id, geo = _SPLITS[split], SceneGeometry(height, width)
    if split == 'test':
        plan_rng = np.random.default_rng([seed, split_id, 1_000_000])
        video_kinds = _assign_kinds(plan_rng, num_videos, kinds)
    videos = []
    for v in range(num_videos):
        rng = np.random.default_rng([seed, split_id, v])
        gain = 1 + flicker * (0.8 * smooth_noise(rng, num_frames, 12) +
                              0.6 * smooth_noise(rng, num_frames, 1.5))
        tracks = [
            crop(t, geo, num_frames)
            for t in pedestrians(rng, geo, num_frames)
        ]
        tracks = [t for t in tracks if t is not None]
        labels, events = None, []
        if split == 'test':
            actors, events = _plan_events(rng, geo, video_kinds[v], num_frames)
            tracks += actors
            labels = np.zeros(num_frames, np.uint8)
            for track in actors:
                labels[track.start + np.flatnonzero(track.abnormal)] = 1
        source = SyntheticVideoSource(f'{split}_{v:02d}', num_frames, height,
                                      width, seed, (seed, split_id, v, 1),
                                      tracks, gain, noise_std, events)
        videos.append((source, labels))
    return videos
