"""A causal IoU tracker: links one frame's proposal boxes to the last ones.

Not a registered plugin: a helper for tube builders (a tube that follows one
object needs to know which box of each frame is that object).
"""
from typing import Iterable, List

import numpy as np
from scipy.optimize import linear_sum_assignment

#: Matching strategies :class:`IoUTracker` accepts.
MATCHING_MODES = ('hungarian', 'greedy')


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Pairwise intersection over union of two sets of boxes.

    Args:
        boxes_a (np.ndarray): (A, 4) boxes ``x0, y0, x1, y1``.
        boxes_b (np.ndarray): (B, 4) boxes ``x0, y0, x1, y1``.

    Returns:
        np.ndarray: (A, B) float32 IoU; 0 where a union is empty.
    """
    a = np.asarray(boxes_a, np.float32).reshape(-1, 1, 4)
    b = np.asarray(boxes_b, np.float32).reshape(1, -1, 4)
    width = (np.minimum(a[..., 2], b[..., 2]) -
             np.maximum(a[..., 0], b[..., 0])).clip(0)
    height = (np.minimum(a[..., 3], b[..., 3]) -
              np.maximum(a[..., 1], b[..., 1])).clip(0)
    inter = width * height
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12),
                    0).astype(np.float32)


class IoUTracker:
    """Frame-to-frame association of boxes by overlap (no motion model).

    Each call to :meth:`update` matches the frame's boxes to the live tracks
    (compared with each track's last matched box) so that the total IoU is
    largest (``'hungarian'``) or pair by pair from the largest IoU down
    (``'greedy'``); a pair is a match only if its IoU is at least
    ``iou_threshold``. A box left unmatched starts a new track with a fresh
    id. A track missed for more than ``max_age`` consecutive frames dies;
    until then it can still be matched (an object hidden for a frame or two
    keeps its id). Ids count up from 0 and are never reused until
    :meth:`reset` (a new video). Causal: the ids of frame t depend on frames
    0..t only.

    Args:
        iou_threshold (float): Smallest IoU of a match, in (0, 1].
            Defaults to 0.3.
        max_age (int): Consecutive frames a track may go unmatched and still
            be matched again. Defaults to 2.
        matching (str): One of :data:`MATCHING_MODES`. Defaults to
            ``'hungarian'``.
    """

    def __init__(self,
                 iou_threshold: float = 0.3,
                 max_age: int = 2,
                 matching: str = 'hungarian') -> None:
        if not 0 < iou_threshold <= 1:
            raise ValueError(
                f'iou_threshold must be in (0, 1], got {iou_threshold}.')
        if int(max_age) != max_age or max_age < 0:
            raise ValueError(
                f'max_age must be an integer >= 0, got {max_age!r}.')
        if matching not in MATCHING_MODES:
            raise ValueError(f'Unknown matching {matching!r}; expected one '
                             f'of {", ".join(MATCHING_MODES)}.')
        self.iou_threshold = float(iou_threshold)
        self.max_age = int(max_age)
        self.matching = matching
        self.reset()

    def reset(self) -> None:
        """Start a new video: drop every track and restart ids at 0."""
        self._ids = np.zeros(0, np.int64)  # live tracks' ids
        self._boxes = np.zeros((0, 4), np.float32)  # their last boxes
        self._unseen = np.zeros(0, np.int64)  # frames since last matched
        self._next_id = 0

    @property
    def num_tracks(self) -> int:
        """Number of live tracks (including ones missed up to max_age)."""
        return len(self._ids)

    def live_ids(self) -> np.ndarray:
        """Ids of the tracks that may still be matched (a copy): an id not
        among them never comes back."""
        return self._ids.copy()

    def update(self, boxes: np.ndarray) -> np.ndarray:
        """Track ids of the next frame's boxes.

        Args:
            boxes (np.ndarray): (K, 4) boxes ``x0, y0, x1, y1`` of this frame
                (or a :class:`~.FrameProposals`, whose ``boxes`` are used).

        Returns:
            np.ndarray: (K,) int64 track id of each box, in the boxes' order.
        """
        boxes = np.asarray(getattr(boxes, 'boxes', boxes), np.float32)
        if boxes.size == 0:
            boxes = boxes.reshape(0, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError('IoUTracker.update expects (K, 4) boxes x0, y0, '
                             f'x1, y1, got shape {boxes.shape}.')
        track_ids = np.full(len(boxes), -1, np.int64)
        matched = np.zeros(self.num_tracks, bool)
        for row, col in self._match(box_iou(self._boxes, boxes)):
            track_ids[col] = self._ids[row]
            self._boxes[row] = boxes[col]
            matched[row] = True
        self._unseen = np.where(matched, 0, self._unseen + 1)
        alive = self._unseen <= self.max_age
        new = np.flatnonzero(track_ids < 0)
        track_ids[new] = self._next_id + np.arange(len(new))
        self._next_id += len(new)
        self._ids = np.concatenate([self._ids[alive], track_ids[new]])
        self._boxes = np.concatenate([self._boxes[alive], boxes[new]])
        self._unseen = np.concatenate(
            [self._unseen[alive],
             np.zeros(len(new), np.int64)])
        return track_ids

    def __call__(self, boxes_per_frame: Iterable) -> List[np.ndarray]:
        """Track ids of every frame of one whole video (resets first)."""
        self.reset()
        return [self.update(boxes) for boxes in boxes_per_frame]

    def _match(self, iou: np.ndarray) -> List[tuple]:
        """(track row, box column) pairs with IoU >= the threshold."""
        if iou.size == 0:
            return []
        if self.matching == 'hungarian':
            # Pairs under the threshold count 0 so they never displace a
            # valid match; they are dropped after the assignment.
            rows, cols = linear_sum_assignment(np.where(
                iou >= self.iou_threshold, iou, 0),
                                               maximize=True)
            return [(r, c) for r, c in zip(rows, cols)
                    if iou[r, c] >= self.iou_threshold]
        pairs, used_rows, used_cols = [], set(), set()
        for flat in np.argsort(-iou, axis=None, kind='stable'):
            r, c = np.unravel_index(flat, iou.shape)
            if iou[r, c] < self.iou_threshold:
                break
            if r not in used_rows and c not in used_cols:
                pairs.append((r, c))
                used_rows.add(r)
                used_cols.add(c)
        return pairs
