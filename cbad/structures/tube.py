"""Tubes: one moving object's boxes over a window of frames, and its crops.

A tube is the object-centric unit of analysis: the T frames of one sliding
window (laid by :mod:`cbad.structures.windows`, like every window)
cropped around one proposal of the window's anchor frame.
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .windows import window_starts

#: Which frame of a window its tubes are built around.
TUBE_ANCHORS = ('last', 'centre')
#: How a tube's per-frame boxes are chosen.
TUBE_BOX_MODES = ('fixed', 'track')
#: What happens to a box that leaves the frame.
TUBE_BOUNDARIES = ('clip', 'shift', 'pad')


@dataclass(eq=False)
class Tube:
    """One object's boxes over the T frames of one window.

    Attributes:
        start (int): First frame of the window (0-based).
        clip_len (int): Frames per window (T).
        num_frames (int): Frames of the whole video; a window running past
            the end repeats the video's last frame (see :attr:`padded`).
        boxes (np.ndarray): (T, 4) float32 boxes ``x0, y0, x1, y1`` (x1, y1
            exclusive) in frame pixels, one per frame of the window.
        anchor (int): Frame index of the proposal the tube was built around.
        track_id (int): Track of that proposal, -1 if untracked.
        proposal_index (int): Row of that proposal in the anchor frame's
            boxes, -1 if unknown.
        video (str): Name of the video. Defaults to ``''``.
        video_index (int): Position of the video in its dataset, -1 if
            unknown.
    """

    start: int
    clip_len: int
    num_frames: int
    boxes: np.ndarray
    anchor: int
    track_id: int = -1
    proposal_index: int = -1
    video: str = ''
    video_index: int = -1

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, np.float32)
        if self.boxes.shape != (self.clip_len, 4):
            raise ValueError(f'Tube boxes must have shape (clip_len, 4) = '
                             f'({self.clip_len}, 4), got {self.boxes.shape}.')

    @property
    def frame_indices(self) -> np.ndarray:
        """(T,) int64 frame ids of the window, the last repeated as padding."""
        ids = self.start + np.arange(self.clip_len, dtype=np.int64)
        return np.minimum(ids, self.num_frames - 1)

    @property
    def padded(self) -> bool:
        """True if the video is shorter than the window (frames repeat)."""
        return self.start + self.clip_len > self.num_frames

    def union_box(self) -> np.ndarray:
        """(4,) float32 smallest box holding all of the tube's boxes."""
        return np.concatenate(
            [self.boxes[:, :2].min(0),
             self.boxes[:, 2:].max(0)]).astype(np.float32)


def build_tubes(proposals_per_frame: Sequence,
                track_ids_per_frame: Optional[Sequence[np.ndarray]] = None,
                clip_len: int = 16,
                stride: int = 4,
                anchor: str = 'last',
                box_mode: str = 'fixed',
                enlarge: float = 1.25,
                min_side: float = 16,
                square: bool = True,
                frame_shape: Optional[Tuple[int, int]] = None,
                boundary: Optional[str] = None,
                video: str = '',
                video_index: int = -1) -> List[List[Tube]]:
    """Tubes of one video: one per proposal of each window's anchor frame.

    Every box is sized the same way: the proposal's width and height times
    ``enlarge``, made square (the longer side) if ``square``, at least
    ``min_side`` each, centred on the proposal. ``box_mode='fixed'`` uses
    the anchor proposal's box for all T frames. ``box_mode='track'`` follows
    the anchor proposal's track: each frame's box is centred on that track's
    box in the frame (frames where the track is absent take the nearest
    frame's box, the earlier on a tie); all T boxes share one size, from the
    largest width and height of the track in the window, so crops resize
    consistently.

    Args:
        proposals_per_frame (Sequence): Per frame, a
            :class:`~cbad.proposals.FrameProposals` or a (K, 4) array of boxes
            ``x0, y0, x1, y1`` in frame pixels.
        track_ids_per_frame (Sequence[np.ndarray], optional): Per frame, the
            (K,) track ids of its boxes (e.g. from
            :class:`~cbad.proposals.IoUTracker`). Required by ``'track'``.
            Defaults to None.
        clip_len (int): Frames per tube (T). Defaults to 16.
        stride (int): Frames between window starts. Defaults to 4.
        anchor (str): ``'last'`` (the window's last frame: causal, tubes
            exist once the window has been seen) or ``'centre'`` (frame
            ``start + clip_len // 2``). Defaults to ``'last'``.
        box_mode (str): ``'fixed'`` or ``'track'``. Defaults to ``'fixed'``.
        enlarge (float): Factor on a proposal's width and height (>= 1 keeps
            context around the object). Defaults to 1.25.
        min_side (float): Smallest box side in frame pixels. Defaults to 16.
        square (bool): Make boxes square. Defaults to True.
        frame_shape (tuple, optional): (H, W) of the frames; taken from the
            proposals if they carry it. Needed unless ``boundary='pad'``.
        boundary (str, optional): A box leaving the frame is ``'clip'``-ped
            to it (it may shrink and lose its shape), ``'shift'``-ed inside
            (same size, object off-centre; clipped only if larger than the
            frame) or kept (``'pad'``: :func:`crop_tube` repeats edge pixels).
            Defaults to None: ``'clip'`` for ``'fixed'``, ``'pad'`` for
            ``'track'`` (keeps one size and the object centred).
        video (str): Name stored in the tubes. Defaults to ``''``.
        video_index (int): Index stored in the tubes. Defaults to -1.

    Returns:
        list[list[Tube]]: Per window (in :func:`window_starts` order), its
        tubes in the anchor frame's proposal order; empty for a window whose
        anchor frame has no proposal.
    """
    boundary = boundary or ('clip' if box_mode == 'fixed' else 'pad')
    for name, value, allowed in (('anchor', anchor, TUBE_ANCHORS),
                                 ('box_mode', box_mode, TUBE_BOX_MODES),
                                 ('boundary', boundary, TUBE_BOUNDARIES)):
        if value not in allowed:
            raise ValueError(f'Unknown {name} {value!r}; expected one of '
                             f'{", ".join(allowed)}.')
    if enlarge <= 0 or min_side < 0:
        raise ValueError(f'enlarge must be > 0 and min_side >= 0, got '
                         f'{enlarge} and {min_side}.')
    boxes_per_frame = [_as_boxes(p) for p in proposals_per_frame]
    if not boxes_per_frame:
        raise ValueError('build_tubes got no frames: expected proposals for '
                         'at least one frame of the video.')
    if frame_shape is None:
        frame_shape = getattr(proposals_per_frame[0], 'frame_shape', None)
    if frame_shape is None and boundary != 'pad':
        raise ValueError(f'boundary={boundary!r} needs frame_shape=(H, W); '
                         'pass it, or proposals that carry frame_shape.')
    ids_per_frame = _check_track_ids(track_ids_per_frame, boxes_per_frame,
                                     box_mode)
    num_frames = len(boxes_per_frame)
    windows = []
    for start in window_starts(num_frames, clip_len, stride):
        indices = np.minimum(start + np.arange(clip_len), num_frames - 1)
        position = clip_len - 1 if anchor == 'last' else clip_len // 2
        frame = int(indices[position])
        tubes = []
        for k, box in enumerate(boxes_per_frame[frame]):
            track_id = (-1 if ids_per_frame is None else int(
                ids_per_frame[frame][k]))
            if box_mode == 'fixed':
                known = box[None]
                centres = np.tile((box[:2] + box[2:]) / 2, (clip_len, 1))
            else:
                known, centres = _follow_track(boxes_per_frame, ids_per_frame,
                                               indices, track_id)
            size = (known[:, 2:] - known[:, :2]).max(0) * enlarge  # w, h
            if square:
                size[:] = size.max()
            size = np.maximum(size, min_side)
            boxes = np.concatenate([centres - size / 2, centres + size / 2],
                                   axis=1)
            tubes.append(
                Tube(int(start), clip_len, num_frames,
                     _fit(boxes, frame_shape, boundary), frame, track_id, k,
                     video, video_index))
        windows.append(tubes)
    return windows


def crop_tube(frames: Union[Sequence[np.ndarray], np.ndarray],
              tube: Tube,
              size: int = 32) -> np.ndarray:
    """Cut a tube out of a video's frames and resize each crop.

    Box corners are rounded to whole pixels keeping each box's rounded width
    and height, so equal-sized boxes give equal-sized crops. Parts of a box
    outside the frame repeat the nearest edge pixels. Crops are resized with
    area interpolation.

    Args:
        frames (Sequence[np.ndarray] | np.ndarray): The video's grey frames,
            (H, W) uint8 each, indexable by frame id (a list or an
            (L, H, W) array).
        tube (Tube): The tube to cut.
        size (int): Side of the output crops. Defaults to 32.

    Returns:
        np.ndarray: (T, size, size) uint8 crops, one per frame of the tube.
    """
    indices = tube.frame_indices
    if len(frames) <= indices.max():
        raise ValueError(
            f'Tube needs frame {indices.max()} but only {len(frames)} frames '
            f'were given; pass all frames of video {tube.video!r}.')
    crops = np.empty((tube.clip_len, size, size), np.uint8)
    boxes = tube.boxes
    # every frame's rounding at once (the same arithmetic as one by one)
    corners = np.floor(boxes[:, :2] + 0.5).astype(np.int64).tolist()
    sides = np.maximum(1, np.floor(boxes[:, 2:] - boxes[:, :2] + 0.5).astype(
        np.int64)).tolist()
    for t, index in enumerate(indices.tolist()):
        frame = np.asarray(frames[index])
        if frame.ndim != 2 or frame.dtype != np.uint8:
            raise ValueError('crop_tube expects (H, W) uint8 grey frames, '
                             f'got {frame.dtype} {frame.shape}.')
        height, width = frame.shape
        (x0, y0), (crop_w, crop_h) = corners[t], sides[t]
        if x0 >= 0 and y0 >= 0 and x0 + crop_w <= width and \
                y0 + crop_h <= height:
            patch = frame[y0:y0 + crop_h, x0:x0 + crop_w]
        else:  # clamped indices repeat the edge pixels
            rows = np.arange(y0, y0 + crop_h).clip(0, height - 1)
            cols = np.arange(x0, x0 + crop_w).clip(0, width - 1)
            patch = frame[np.ix_(rows, cols)]
        crops[t] = cv2.resize(patch, (size, size),
                              interpolation=cv2.INTER_AREA)
    return crops


def _as_boxes(proposals) -> np.ndarray:
    boxes = np.asarray(getattr(proposals, 'boxes', proposals), np.float32)
    if boxes.size == 0:
        return boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError('Expected (K, 4) boxes x0, y0, x1, y1 per frame, '
                         f'got shape {boxes.shape}.')
    return boxes


def _check_track_ids(track_ids_per_frame, boxes_per_frame,
                     box_mode: str) -> Optional[List[np.ndarray]]:
    if track_ids_per_frame is None:
        if box_mode == 'track':
            raise ValueError("box_mode='track' needs track_ids_per_frame "
                             '(e.g. from cbad.proposals.IoUTracker).')
        return None
    ids = [np.asarray(i, np.int64).reshape(-1) for i in track_ids_per_frame]
    if len(ids) != len(boxes_per_frame) or any(
            len(i) != len(b) for i, b in zip(ids, boxes_per_frame)):
        raise ValueError(
            'track_ids_per_frame must hold one id per box of every frame: '
            f'got {[len(i) for i in ids][:8]}... ids for '
            f'{[len(b) for b in boxes_per_frame][:8]}... boxes.')
    return ids


def _follow_track(boxes_per_frame, ids_per_frame, indices: np.ndarray,
                  track_id: int) -> Tuple[np.ndarray, np.ndarray]:
    """The track's known boxes in the window (M, 4) and a centre per frame
    of the window (T, 2), nearest known box where the track is absent."""
    frames, known = [], []
    for frame in np.unique(indices):
        rows = np.flatnonzero(ids_per_frame[frame] == track_id)
        if len(rows):
            frames.append(frame)
            known.append(boxes_per_frame[frame][rows[0]])
    frames, known = np.asarray(frames), np.stack(known)
    # argmin takes the first (earlier) frame on a tie.
    nearest = np.abs(indices[:, None] - frames[None]).argmin(1)
    centres = (known[nearest, :2] + known[nearest, 2:]) / 2
    return known, centres


def _fit(boxes: np.ndarray, frame_shape, boundary: str) -> np.ndarray:
    """Apply the boundary rule to (T, 4) boxes of frames of ``frame_shape``."""
    if boundary == 'pad':
        return boxes
    boxes = boxes.copy()
    for axis, limit in ((0, frame_shape[1]), (1, frame_shape[0])):
        low, high = boxes[:, axis], boxes[:, axis + 2]
        if boundary == 'shift':
            side = high - low
            shift = np.where(side <= limit,
                             np.clip(low, 0, limit - side) - low, 0)
            low, high = low + shift, high + shift
        boxes[:, axis] = np.clip(low, 0, limit)
        boxes[:, axis + 2] = np.clip(high, 0, limit)
    return boxes
