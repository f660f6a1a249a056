"""Dense optical flow for proposals and motion attributes.

One small wrapper over OpenCV's two dense methods so every user of flow in
the object-centric path (proposals, motion attributes, tube motion groups)
sees the same field in the same units.

Measured on UCSD Ped2 (360x240 grey frames, one core, ``cv2.setNumThreads(1)``;
``tools/analysis/benchmark_proposals.py`` prints these on any machine):

==================  =========  ==========
method              full size  half size
==================  =========  ==========
``dis_ultrafast``   ~1.0 ms    ~0.2 ms
``dis_fast``        ~1.8 ms    ~0.4 ms
``dis_medium``      ~8.8 ms    ~2.1 ms
``farneback``       ~19 ms     ~4.1 ms
==================  =========  ==========
"""
from typing import Optional, Tuple

import cv2
import numpy as np

#: Methods :class:`OpticalFlow` accepts.
FLOW_METHODS = ('dis_ultrafast', 'dis_fast', 'dis_medium', 'farneback')
_DIS_PRESETS = dict(
    dis_ultrafast=cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    dis_fast=cv2.DISOPTICAL_FLOW_PRESET_FAST,
    dis_medium=cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
#: OpenCV tutorial's Farneback parameters (3-level pyramid halving each
#: level, 15 px window, 3 iterations, polynomial expansion on 5 px with sigma
#: 1.2): every Farneback flow of cbad (proposals, motion groups,
#: hand-crafted descriptors) starts from these.
FARNEBACK_PARAMS = dict(pyr_scale=0.5, levels=3, winsize=15, iterations=3,
                        poly_n=5, poly_sigma=1.2, flags=0)


def dense_flow(prev_grey: np.ndarray, next_grey: np.ndarray,
               flow_params: Optional[dict] = None) -> np.ndarray:
    """Farneback optical flow between two grey uint8 frames at their own
    size (motion groups, hand-crafted descriptors).

    Args:
        prev_grey (np.ndarray): (H, W) uint8.
        next_grey (np.ndarray): (H, W) uint8.
        flow_params (dict, optional): Overrides of :data:`FARNEBACK_PARAMS`.
            Defaults to None.

    Returns:
        np.ndarray: (H, W, 2) float32 flow (u, v) in pixels per frame.
    """
    params = dict(FARNEBACK_PARAMS, **(flow_params or {}))
    return cv2.calcOpticalFlowFarneback(prev_grey, next_grey, None, **params)


class OpticalFlow:
    """Dense flow between consecutive grey frames on a reduced grid.

    Args:
        method (str): One of :data:`FLOW_METHODS`. Defaults to
            ``'farneback'``.
        scale (float): Frames are resized by this factor (area
            interpolation) before the flow is computed; 0.5 quarters the
            cost. Defaults to 0.5.
        flow_params (dict, optional): Overrides of :data:`FARNEBACK_PARAMS`
            (e.g. ``dict(iterations=1)``: on Ped2's half-size grid about
            half the cost of the default 3, flow within ~2% on moving
            pixels); only with ``method='farneback'``. Defaults to None.
        downsample (int): The flow is computed on the reduced grid shrunk
            by this factor again (area interpolation) and resized back to
            the reduced grid (bilinear), so it costs less (Ped2's 120x180
            grid, Farneback, 2: 7.4 -> 2.3 ms a frame, resizes included)
            while every user still sees the reduced grid; 1 (the
            default) computes it on the reduced grid itself. Defaults to 1.

    The returned flow lies on the reduced grid but is expressed in pixels per
    frame **of the input frame** (divided by ``scale``), so thresholds and
    velocities do not change meaning with ``scale``.

    Shape:
        - frames: (H, W) uint8.
        - flow: (h, w, 2) float32 with h = round(H * scale), w likewise;
          ``[..., 0]`` is the horizontal, ``[..., 1]`` the vertical component.
    """

    def __init__(self,
                 method: str = 'farneback',
                 scale: float = 0.5,
                 flow_params: Optional[dict] = None,
                 downsample: int = 1) -> None:
        if method not in FLOW_METHODS:
            raise ValueError(f'Unknown flow method {method!r}; expected one '
                             f'of {", ".join(FLOW_METHODS)}.')
        if flow_params and method != 'farneback':
            raise ValueError('flow_params override Farneback parameters; '
                             f'they do nothing with method={method!r}.')
        unknown = sorted(set(flow_params or {}) - set(FARNEBACK_PARAMS))
        if unknown:
            raise ValueError(f'Unknown Farneback parameter(s) {unknown}; '
                             f'expected some of {sorted(FARNEBACK_PARAMS)}.')
        self.flow_params = dict(FARNEBACK_PARAMS, **(flow_params or {}))
        if not 0 < scale <= 1:
            raise ValueError(f'flow scale must be in (0, 1], got {scale}.')
        if int(downsample) != downsample or downsample < 1:
            raise ValueError('flow downsample must be an integer >= 1, got '
                             f'{downsample}.')
        self.method = method
        self.scale = float(scale)
        self.downsample = int(downsample)
        self._dis = None  # created on first use: OpenCV objects don't pickle

    def __getstate__(self) -> dict:
        # copies and spawned workers re-create the DIS object
        return dict(self.__dict__, _dis=None)

    def grid_size(self, frame_shape: Tuple[int, int]) -> Tuple[int, int]:
        """(h, w) of the reduced grid for frames of shape (H, W)."""
        height, width = frame_shape[:2]
        return (max(1, int(round(height * self.scale))),
                max(1, int(round(width * self.scale))))

    def resize(self, grey: np.ndarray) -> np.ndarray:
        """``grey`` on the reduced grid (area interpolation)."""
        if self.scale == 1:
            return grey
        height, width = self.grid_size(grey.shape)
        return cv2.resize(grey, (width, height), interpolation=cv2.INTER_AREA)

    def __call__(self, prev_small: np.ndarray,
                 next_small: np.ndarray) -> np.ndarray:
        """Flow from ``prev_small`` to ``next_small`` (both already on the
        reduced grid, see :meth:`resize`), in input-frame pixels/frame, on
        the reduced grid."""
        if self.downsample == 1:
            flow = self._flow(prev_small, next_small)
            return flow / self.scale if self.scale != 1 else flow
        height, width = prev_small.shape[:2]
        size = (max(1, int(round(width / self.downsample))),
                max(1, int(round(height / self.downsample))))
        flow = cv2.resize(
            self._flow(*(cv2.resize(grid, size, interpolation=cv2.INTER_AREA)
                         for grid in (prev_small, next_small))),
            (width, height), interpolation=cv2.INTER_LINEAR)
        # coarse-grid pixels -> input-frame pixels, per axis
        flow[..., 0] *= width / size[0] / self.scale
        flow[..., 1] *= height / size[1] / self.scale
        return flow

    def _flow(self, prev: np.ndarray, next_: np.ndarray) -> np.ndarray:
        """The method's flow between two grids, in their own pixels."""
        if self.method in _DIS_PRESETS:
            if self._dis is None:
                self._dis = cv2.DISOpticalFlow_create(
                    _DIS_PRESETS[self.method])
            return self._dis.calc(prev, next_, None)
        return dense_flow(prev, next_, self.flow_params)


def flow_magnitude(flow: np.ndarray,
                   out: Optional[np.ndarray] = None) -> np.ndarray:
    """Per-pixel speed ``sqrt(u^2 + v^2)`` of an (h, w, 2) flow."""
    return cv2.magnitude(flow[..., 0], flow[..., 1], out)
