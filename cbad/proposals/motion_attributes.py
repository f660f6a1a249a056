"""Explicit per-region motion attributes: how fast, which way, how big, where.

These are the hand-readable facts about a moving object that a learned
embedding may or may not keep (issue: the paper's whole-frame embedding
lost them). Each row describes one proposal of one frame; a tube's
attributes are the mean of its frames' rows.
"""
from typing import List

import numpy as np

from .frame_proposals import FrameProposals
from .optical_flow import flow_magnitude

#: Number of direction bins of the speed-weighted direction histogram.
DIRECTION_BINS = 8
#: Column names of :func:`motion_attributes`, in order.
ATTRIBUTE_NAMES = (
    ['speed_mean', 'speed_p90', 'abs_vx_mean', 'vy_mean'] +
    [f'direction_{k}' for k in range(DIRECTION_BINS)] +
    ['box_height', 'box_width', 'centre_y', 'centre_x'])


def motion_attributes(proposals: FrameProposals,
                      directions: bool = True) -> np.ndarray:
    """Motion attributes of every region of one frame.

    Velocities are in input-frame pixels per frame; the direction histogram
    is speed-weighted and sums to 1 (all zeros for a still region); box size
    and centre are fractions of the frame height / width, so the same
    numbers mean the same thing at any resolution.

    Args:
        proposals (FrameProposals): One frame's proposals, with flow.
        directions (bool): Compute the direction histogram; False leaves
            its columns at 0 (cheaper, for callers that do not read them).
            Defaults to True.

    Returns:
        np.ndarray: (K, len(ATTRIBUTE_NAMES)) float32.
    """
    rows: List[np.ndarray] = []
    height, width = proposals.frame_shape
    if proposals.flow is None:
        raise ValueError('motion_attributes needs proposals with flow.')
    speed = (proposals.speed if proposals.speed is not None else
             flow_magnitude(proposals.flow))
    no_directions = np.zeros(DIRECTION_BINS)
    scale = proposals.scale
    for k, (x0, y0, x1, y1) in enumerate(proposals.boxes):
        # The region's pixels, looked up inside its own box on the grid.
        top, left = int(y0 * scale), int(x0 * scale)
        bottom = int(np.ceil(y1 * scale))
        right = int(np.ceil(x1 * scale))
        inside = proposals.labels[top:bottom, left:right] == k
        region_speed = speed[top:bottom, left:right][inside]
        region_flow = proposals.flow[top:bottom, left:right][inside]
        histogram = (_direction_histogram(region_flow, region_speed)
                     if directions else no_directions)
        p90 = np.partition(region_speed, int(0.9 * (len(region_speed) - 1)))
        rows.append(np.concatenate([
            [region_speed.mean(), p90[int(0.9 * (len(region_speed) - 1))],
             np.abs(region_flow[:, 0]).mean(), region_flow[:, 1].mean()],
            histogram,
            [(y1 - y0) / height, (x1 - x0) / width,
             (y0 + y1) / 2 / height, (x0 + x1) / 2 / width]
        ]))
    return np.asarray(rows, np.float32).reshape(-1, len(ATTRIBUTE_NAMES))


def _direction_histogram(region_flow: np.ndarray,
                         region_speed: np.ndarray) -> np.ndarray:
    """Speed-weighted histogram of flow directions, summing to 1 (zeros for
    a still region)."""
    angle = np.arctan2(region_flow[:, 1], region_flow[:, 0])
    bins = ((angle + np.pi) / (2 * np.pi) * DIRECTION_BINS).astype(int)
    histogram = np.bincount(bins.clip(0, DIRECTION_BINS - 1), region_speed,
                            DIRECTION_BINS)
    total = histogram.sum()
    return histogram / total if total > 0 else histogram
