"""The anomalous actors staged in the test videos of the synthetic scene.

Each builder returns a :class:`Track` whose ``abnormal`` flags mark the frames
that make a frame anomalous; :func:`anomaly` shifts it in time so that the
first such frame that is visible falls on the requested start frame.
"""
from functools import partial

import numpy as np

from .synthetic_scene_tracks import (WALK_SPEED, SceneGeometry, Track,
                                     crossing_frames, entry_x, lane_walk,
                                     person_track, smooth_noise)

ANOMALY_KINDS = ('cyclist', 'vehicle', 'thrown', 'running', 'zigzag',
                 'wrong_way', 'loitering')
# Typical visible length of each event at the default 120 x 160 frame; used
# only to pair long and short events when a video holds two of them.
NOMINAL_EVENT_FRAMES = {
    'vehicle': 80,
    'zigzag': 70,
    'running': 58,
    'loitering': 48,
    'wrong_way': 42,
    'cyclist': 38,
    'thrown': 25
}


def _cyclist(rng, geo, t_s):
    lane = int(rng.integers(len(geo.lanes)))
    direction = geo.lanes[lane][1]
    speed = rng.uniform(3, 6) * geo.unit
    n = crossing_frames(geo, speed)
    x, y = lane_walk(rng, geo, lane, speed, n, entry_x(geo, direction),
                     direction)
    track = person_track(rng, geo, 'cyclist', t_s, x, y, abnormal=True)
    track.shape = 'cyclist'
    return track


def _vehicle(rng, geo, t_s):
    lane = int(rng.integers(1, len(geo.lanes)))  # the wider, nearer lanes
    direction = geo.lanes[lane][1]
    speed = rng.uniform(1.8, 3.2) * geo.unit
    n = crossing_frames(geo, speed)
    x0 = entry_x(geo, direction) - direction * geo.margin  # longer body
    x = x0 + direction * speed * np.arange(1, n + 1)
    y = np.full(n, geo.lanes[lane][0] + 2 * geo.unit)
    track = person_track(rng, geo, 'vehicle', t_s, x, y, abnormal=True)
    track.shape, track.size = 'vehicle', float(rng.uniform(0.95, 1.15))
    track.accent = int(rng.integers(150, 230))
    return track


def _thrown(rng, geo, t_s):
    """A small ball thrown along a lane: fast parabolic flight, bounces."""
    lane_y = geo.lanes[int(rng.integers(len(geo.lanes)))][0]
    x0 = rng.uniform(0.25, 0.75) * geo.width
    direction = 1 if x0 < geo.width / 2 else -1  # towards the far edge
    vx = direction * rng.uniform(4, 7) * geo.unit
    vz, gravity = rng.uniform(1.5, 3) * geo.unit, 0.25 * geo.unit
    z = 0.55 * geo.person_height(lane_y)
    xs, zs = [], []
    x = x0
    while -geo.margin < x < geo.width + geo.margin and len(xs) < 200:
        x, z, vz = x + vx, z + vz, vz - gravity
        if z < 0:  # bounce, losing energy
            z, vz, vx = -0.5 * z, -0.5 * vz, 0.8 * vx
            vx = np.sign(vx) * max(abs(vx), 2 * geo.unit)
        xs.append(x)
        zs.append(z)
    xs, zs = np.array(xs), np.array(zs)
    track = person_track(
        rng, geo, 'thrown', t_s, xs, lane_y - zs, abnormal=True)
    track.shape, track.size = 'ball', float(rng.uniform(0.9, 1.3))
    return track


def _running(rng, geo, t_s):
    lane = int(rng.integers(len(geo.lanes)))
    direction = geo.lanes[lane][1]
    speed = rng.uniform(2.4, 3.6) * geo.unit
    n = crossing_frames(geo, speed)
    x, y = lane_walk(rng, geo, lane, speed, n, entry_x(geo, direction),
                     direction)
    return person_track(rng, geo, 'running', t_s, x, y, abnormal=True)


def _zigzag(rng, geo, t_s):
    """Cuts across all lanes from the top edge down, swerving side to side."""
    speed = rng.uniform(1.4, 2.2) * geo.unit
    n = int(np.ceil((1.25 * geo.height) / speed)) + 2
    t = np.arange(n)
    y = speed * (t + 1)
    x = (
        rng.uniform(0.25, 0.75) * geo.width +
        rng.uniform(0.07, 0.13) * geo.width *
        np.sin(2 * np.pi * t / rng.uniform(14, 26) + rng.uniform(0, 6.3)))
    return person_track(rng, geo, 'zigzag', t_s, x, y, abnormal=True)


def _stop_and_go(rng, geo, t_s, behaviour):
    """Walks in, then at frame ``t_s`` either stops for a long time
    ('loitering') or turns round and walks out the way it came
    ('wrong_way'). Only the part after ``t_s`` is abnormal."""
    lane = int(rng.integers(len(geo.lanes)))
    direction = geo.lanes[lane][1]
    speed = rng.uniform(*WALK_SPEED) * geo.unit
    x_entry = entry_x(geo, direction)
    if behaviour == 'wrong_way':
        dist = geo.margin + rng.uniform(0.15, 0.35) * geo.width
    else:
        dist = geo.margin + rng.uniform(0.3, 0.7) * geo.width
    n_in = int(np.ceil(dist / speed))
    n_out = crossing_frames(geo, speed)
    x_in, y_in = lane_walk(rng, geo, lane, speed, n_in, x_entry, direction)
    x_turn, y_turn = x_in[-1], y_in[-1]
    if behaviour == 'wrong_way':
        pause = 3
        x_out, y_out = lane_walk(rng, geo, lane, speed * rng.uniform(1, 1.3),
                                 n_out, x_turn, -direction)
    else:
        pause = int(rng.integers(35, 61))
        x_out, y_out = lane_walk(rng, geo, lane, speed, n_out, x_turn,
                                 direction)
    sway = 0.3 * geo.unit * smooth_noise(rng, pause, 6)
    x = np.concatenate([x_in, x_turn + sway, x_out])
    y = np.concatenate(
        [y_in, np.full(pause, y_turn), y_out + y_turn - y_out[0]])
    gait = np.concatenate([np.ones(n_in), np.zeros(pause), np.ones(n_out)])
    abnormal = np.arange(len(x)) >= n_in
    if behaviour == 'loitering':
        abnormal &= np.arange(len(x)) < n_in + pause
    return person_track(rng, geo, behaviour, t_s - n_in, x, y, gait, abnormal)


_BUILDERS = {
    'cyclist': _cyclist,
    'vehicle': _vehicle,
    'thrown': _thrown,
    'running': _running,
    'zigzag': _zigzag,
    'wrong_way': partial(_stop_and_go, behaviour='wrong_way'),
    'loitering': partial(_stop_and_go, behaviour='loitering'),
}


def anomaly(rng: np.random.Generator, geo: SceneGeometry, kind: str,
            start: int) -> Track:
    """An actor whose abnormal behaviour ``kind`` is first visible at frame
    ``start`` (actors that enter from off-screen are shifted in time so the
    event does not begin with frames of an invisible actor)."""
    track = _BUILDERS[kind](rng, geo, start)
    first = np.flatnonzero(track.abnormal & geo.visible(track))[0]
    track.start = int(start) - int(first)
    return track
