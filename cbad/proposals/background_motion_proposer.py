"""Moving-region proposals from a causal background model and optical flow."""
from typing import Iterable, List, Optional, Tuple

import cv2
import numpy as np

from cbad.registry import PROPOSALS
from .background import build_background
from .frame_proposals import FrameProposals
from .optical_flow import OpticalFlow, flow_magnitude

#: How the background difference and the flow are combined into foreground.
COMBINE_MODES = ('or', 'and', 'background', 'flow')


@PROPOSALS.register_module()
class BackgroundMotionProposer:
    """Boxes around moving things: background difference and/or flow, then
    connected components.

    Frames arrive one at a time (:meth:`step`) and nothing looks ahead, so the
    proposals of frame t depend only on frames 0..t: the same object serves
    training, offline testing and streaming inference. Work happens on a
    reduced grid (``scale``); boxes come back in input-frame pixels.

    Per frame: foreground = background difference (``background``) combined
    (``combine``) with flow speed above ``flow_threshold``; a morphological
    closing with a ``close_kernel`` square fills holes; regions closer than
    ``merge_gap`` grid pixels are joined (a rider and a bicycle, a person
    split by a lamp post); regions under ``min_area`` input pixels are
    dropped; at most ``max_proposals`` largest remain.

    Args:
        background (str): ``'running_median'`` or ``'mog2'``. Defaults to
            ``'running_median'``.
        background_cfg (dict, optional): Keyword arguments of the background
            model (e.g. ``history``, ``sample_every``, ``threshold``).
            Defaults to None.
        flow (str): Flow method, see :data:`~.optical_flow.FLOW_METHODS`.
            Defaults to ``'farneback'``.
        scale (float): Grid scale for background and flow. Defaults to 0.5.
        flow_params (dict, optional): Farneback parameters overriding
            :data:`~.optical_flow.FARNEBACK_PARAMS` (``flow='farneback'``
            only). Defaults to None.
        flow_threshold (float): Speed in input pixels/frame above which a
            pixel moves. Defaults to 1.0.
        combine (str): One of :data:`COMBINE_MODES`. ``'or'`` also finds
            objects during the background's warm-up; ``'and'`` ignores ghosts
            that a background model leaves where an object was. Defaults to
            ``'or'``.
        close_kernel (int): Side of the closing square (grid pixels); 0 or 1
            turns it off. Defaults to 5.
        merge_gap (int): Regions within this many grid pixels are merged.
            Defaults to 0.
        min_area (float): Smallest region kept, in input-frame pixels.
            Defaults to 40.
        max_proposals (int, optional): Keep the largest this many. Defaults
            to None (all).
        flow_where (str): ``'frame'`` computes the flow over the whole grid;
            ``'foreground'`` only inside the background difference's regions
            grown by ``flow_margin`` grid pixels and to at least the side
            that keeps the whole frame's pyramid levels
            (:func:`pyramid_min_side`; zero elsewhere), which is all that
            ``combine='and'`` and the regions' motion attributes read.
            Only with ``combine='and'`` or ``'background'``. Defaults to
            ``'frame'``.
        flow_margin (int): Context around each foreground region for
            ``flow_where='foreground'``, grid pixels. Defaults to 8.
        flow_downsample (int): Compute the flow on the grid shrunk by this
            factor again and resize it back to the grid
            (:class:`~.optical_flow.OpticalFlow`'s ``downsample``); the
            background model, regions and attributes stay on the grid. Only
            with ``flow_where='frame'``. Defaults to 1.
    """

    def __init__(self,
                 background: str = 'running_median',
                 background_cfg: Optional[dict] = None,
                 flow: str = 'farneback',
                 scale: float = 0.5,
                 flow_threshold: float = 1.0,
                 combine: str = 'or',
                 close_kernel: int = 5,
                 merge_gap: int = 0,
                 min_area: float = 40,
                 max_proposals: Optional[int] = None,
                 flow_where: str = 'frame',
                 flow_margin: int = 8,
                 flow_params: Optional[dict] = None,
                 flow_downsample: int = 1) -> None:
        if combine not in COMBINE_MODES:
            raise ValueError(f'Unknown combine mode {combine!r}; expected '
                             f'one of {", ".join(COMBINE_MODES)}.')
        if flow_where not in ('frame', 'foreground'):
            raise ValueError("flow_where must be 'frame' or 'foreground', "
                             f'got {flow_where!r}.')
        if flow_where == 'foreground' and combine not in ('and',
                                                          'background'):
            raise ValueError(
                "flow_where='foreground' leaves the flow outside the "
                "background difference at zero, so it needs combine='and' "
                f"or 'background', got combine={combine!r}.")
        if flow_where == 'foreground' and flow_downsample != 1:
            raise ValueError("flow_where='foreground' computes the flow on "
                             'the grid itself; it takes no flow_downsample '
                             f'(got {flow_downsample}).')
        if flow_margin < 0:
            raise ValueError(f'flow_margin must be >= 0, got {flow_margin}.')
        self.flow_where = flow_where
        self.flow_margin = int(flow_margin)
        if min_area < 0 or merge_gap < 0 or close_kernel < 0:
            raise ValueError('min_area, merge_gap and close_kernel must be '
                             '>= 0.')
        self.background_name = background
        self.background = build_background(background,
                                           **(background_cfg or {}))
        self.flow = OpticalFlow(flow, scale, flow_params, flow_downsample)
        self.scale = self.flow.scale
        self.flow_threshold = float(flow_threshold)
        self.combine = combine
        self.close_kernel = (np.ones((close_kernel, close_kernel), np.uint8)
                             if close_kernel > 1 else None)
        self.merge_kernel = (np.ones((2 * merge_gap + 1, ) * 2, np.uint8)
                             if merge_gap > 0 else None)
        self.min_area = float(min_area)
        self.max_proposals = max_proposals
        self.reset()

    def reset(self) -> None:
        """Start a new video: forget the background and the previous frame."""
        self.background.reset()
        self._previous: Optional[np.ndarray] = None

    def step(self, grey: np.ndarray) -> FrameProposals:
        """Proposals of the next frame of the current video.

        Args:
            grey (np.ndarray): (H, W) uint8 grey frame.

        Returns:
            FrameProposals: boxes, areas, region labels and the flow.
        """
        changed, flow = self.motion(grey)
        speed = None
        if self.combine == 'background':
            foreground = changed
        else:
            speed = flow_magnitude(flow)
            moving = speed > self.flow_threshold
            foreground = (moving if self.combine == 'flow' else
                          (changed | moving) if self.combine == 'or' else
                          (changed & moving))
        return self._regions(foreground, flow, grey.shape[:2], speed)

    def motion(self, grey: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Advance the background model and the flow by the next frame of
        the current video (what :meth:`step` builds its regions from).

        Args:
            grey (np.ndarray): (H, W) uint8 grey frame.

        Returns:
            tuple: the background difference, an (h, w) bool mask on the
            grid, and the flow from the previous frame, (h, w, 2) float32
            in input pixels/frame (zeros for a video's first frame).
        """
        if grey.ndim != 2 or grey.dtype != np.uint8:
            raise ValueError('BackgroundMotionProposer expects an (H, W) '
                             f'uint8 grey frame, got {grey.dtype} '
                             f'{grey.shape}.')
        small = self.flow.resize(grey)
        if self._previous is not None and self._previous.shape != small.shape:
            raise ValueError(
                f'Frame size changed within a video from '
                f'{self._previous.shape} to {small.shape} (on the flow grid); '
                'call reset() between videos.')
        changed = self.background.apply(small)
        if self._previous is None:
            flow = np.zeros(small.shape + (2, ), np.float32)
        elif self.flow_where == 'foreground':
            flow = self._foreground_flow(self._previous, small, changed)
        else:
            flow = self.flow(self._previous, small)
        self._previous = small
        return changed, flow

    def _foreground_flow(self, previous: np.ndarray, small: np.ndarray,
                         changed: np.ndarray) -> np.ndarray:
        """Flow inside the rectangles around the changed regions (grown by
        ``flow_margin``; overlapping ones joined), zero elsewhere."""
        flow = np.zeros(small.shape + (2, ), np.float32)
        min_side = max(16, pyramid_min_side(
            small.shape, self.flow.flow_params['levels'],
            self.flow.flow_params['pyr_scale']))
        rects = foreground_rectangles(changed, self.flow_margin, min_side)
        for x0, y0, x1, y1 in rects:
            flow[y0:y1, x0:x1] = self.flow(previous[y0:y1, x0:x1],
                                           small[y0:y1, x0:x1])
        return flow

    def __call__(self, frames: Iterable[np.ndarray]) -> List[FrameProposals]:
        """Proposals of every frame of one whole video (resets first)."""
        self.reset()
        return [self.step(frame) for frame in frames]

    def _regions(self, foreground: np.ndarray, flow: np.ndarray,
                 frame_shape: tuple,
                 speed: Optional[np.ndarray] = None) -> FrameProposals:
        mask = foreground.astype(np.uint8)
        if self.close_kernel is not None:
            mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, self.close_kernel)
        grouping = (cv2.dilate(mask, self.merge_kernel)
                    if self.merge_kernel is not None else mask)
        count, raw, stats, _ = cv2.connectedComponentsWithStats(
            grouping, connectivity=8)  # raw: background 0, regions 1..
        if self.merge_kernel is not None:
            # Boxes and areas from the real foreground, not the dilation.
            labels = raw - 1  # background -1, regions 0..
            labels[mask == 0] = -1
            areas = np.bincount(labels[labels >= 0], minlength=count - 1)
        else:
            areas = stats[1:, cv2.CC_STAT_AREA]
        pixel_area = 1.0 / (self.scale * self.scale)
        # largest first, ties in label order
        keep = np.flatnonzero(areas * pixel_area >= self.min_area)
        keep = keep[np.argsort(-areas[keep], kind='stable')]
        if self.max_proposals is not None:
            keep = keep[:self.max_proposals]
        x, y, width, height = stats[keep + 1, :4].T  # a copy of stats rows
        if self.merge_kernel is not None:  # shrink to the foreground
            for row, k in enumerate(keep):
                ys, xs = np.nonzero(
                    labels[y[row]:y[row] + height[row],
                           x[row]:x[row] + width[row]] == k)
                x[row], y[row] = x[row] + xs.min(), y[row] + ys.min()
                width[row] = xs.max() - xs.min() + 1
                height[row] = ys.max() - ys.min() + 1
        boxes = np.stack([x, y, x + width, y + height], 1).astype(np.float32)
        boxes /= self.scale
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, frame_shape[1])
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, frame_shape[0])
        remap = np.full(count, -1, np.int32)  # old index + 1 -> new index
        remap[keep + 1] = np.arange(len(keep))
        region_labels = (remap[labels + 1] if self.merge_kernel is not None
                         else remap[raw])
        return FrameProposals(
            boxes=boxes,
            areas=(areas[keep] * pixel_area).astype(np.float32),
            labels=region_labels,
            flow=flow,
            scale=self.scale,
            frame_shape=tuple(frame_shape),
            speed=speed)


def _span(start: int, stop: int, min_side: int, size: int) -> tuple:
    """[start, stop) grown about its centre to ``min_side`` and moved (not
    cut) to lie inside [0, size); cut only where ``size`` is smaller."""
    grow = max(0, min_side - (stop - start))
    start, stop = start - grow // 2, stop + grow - grow // 2
    if start < 0:
        start, stop = 0, stop - start
    if stop > size:
        start, stop = start - (stop - size), size
    return max(0, start), min(size, stop)


def pyramid_min_side(grid_shape: tuple, levels: int = 3,
                     pyr_scale: float = 0.5, smallest: int = 32) -> int:
    """Smallest crop side that gets as many flow pyramid levels as the whole
    grid does. OpenCV's Farneback stops adding levels once a level's
    shorter side would fall under 32 pixels, and its coarse levels are
    what follows large motions: a crop with fewer levels than the frame
    reads a fast object as slow."""
    short, used, scale = min(grid_shape), 0, 1.0
    while used < levels and short * scale * pyr_scale >= smallest:
        scale *= pyr_scale
        used += 1
    return int(np.ceil(smallest / scale)) if used else 0


def foreground_rectangles(mask: np.ndarray, margin: int,
                          min_side: int = 16) -> List[tuple]:
    """Disjoint rectangles ``(x0, y0, x1, y1)`` covering every foreground
    pixel of ``mask`` with ``margin`` pixels around it, at least
    ``min_side`` wide and high where the grid allows (moved inside the grid
    at its edges rather than cut); rectangles that overlap are replaced by
    their bounding rectangle until none do."""
    height, width = mask.shape
    if not mask.any():
        return []
    count, _, stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8)
    rects = []
    for x, y, w, h in stats[1:, :4]:
        x0, x1 = _span(x - margin, x + w + margin, min_side, width)
        y0, y1 = _span(y - margin, y + h + margin, min_side, height)
        rects.append([x0, y0, x1, y1])
    merged = True
    while merged and len(rects) > 1:
        merged = False
        out = []
        for rect in rects:
            for other in out:
                if (rect[0] < other[2] and other[0] < rect[2]
                        and rect[1] < other[3] and other[1] < rect[3]):
                    other[:] = [min(rect[0], other[0]), min(rect[1], other[1]),
                                max(rect[2], other[2]), max(rect[3], other[3])]
                    merged = True
                    break
            else:
                out.append(rect)
        rects = out
    return [tuple(int(v) for v in r) for r in rects]
