"""One video -> its object tubes: crops, motion attributes, window layout.

The single place where the object-centric unit is cut out of a video, used
by the training dataset (:class:`~cbad.datasets.TubeDataset`) and by the
detector at test time (:class:`~cbad.models.ObjectContrastiveDetector`), so
both see exactly the same tubes for the same settings.
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from cbad.registry import PROPOSALS
from cbad.structures import Tube, build_tubes, crop_tube, window_frames
from .frame_proposals import FrameProposals
from .iou_tracker import IoUTracker
from .motion_attributes import ATTRIBUTE_NAMES, motion_attributes

#: Attributes a tube carries by default (see ``motion_attributes``): speed
#: mean and 90th percentile, mean |vx| and vy, box height and width.
DEFAULT_ATTRIBUTES = ('speed_mean', 'speed_p90', 'abs_vx_mean', 'vy_mean',
                      'box_height', 'box_width')


@dataclass
class VideoTubes:
    """Everything the object-centric model needs from one video.

    Attributes:
        num_frames (int): L, frames of the video.
        windows (np.ndarray): (S, T) frame ids of each window (end-aligned,
            like the clip index; the last frame repeated for a short video).
        tubes (list[Tube]): All tubes, window by window.
        window_index (np.ndarray): (N,) window of each tube.
        crops (np.ndarray): (N, T, size, size) uint8 grey crops.
        attributes (np.ndarray): (N, F) float32 motion attributes, the mean
            over the tube's frames of its track's region attributes (the
            anchor region's alone without a tracker).
        track_ids (np.ndarray): (N,) track id of each tube (-1 untracked).
    """

    num_frames: int
    windows: np.ndarray
    tubes: List[Tube]
    window_index: np.ndarray
    crops: np.ndarray
    attributes: np.ndarray
    track_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.tubes)


class TubeExtractor:
    """Proposals -> tracks -> tubes -> crops and attributes of one video.

    Args:
        proposer (dict): Config of a :data:`~cbad.registry.PROPOSALS` plugin.
            Defaults to ``BackgroundMotionProposer`` with its defaults.
        tracker (dict, optional): :class:`IoUTracker` keyword arguments, or
            None for no tracking (then ``box_mode`` must be ``'fixed'`` and
            a tube's attributes are its anchor region's). Defaults to
            ``dict()`` (IoU 0.3, max_age 2).
        clip_len (int): Frames per tube (T). Defaults to 16.
        stride (int): Frames between windows. Defaults to 4.
        anchor (str): Window frame whose proposals start tubes: ``'last'``
            (causal) or ``'centre'``. Defaults to ``'last'``.
        box_mode (str): ``'fixed'`` box or ``'track'``-following boxes.
            Defaults to ``'track'``.
        enlarge (float): Box enlargement. Defaults to 1.25.
        min_side (float): Smallest box side (frame pixels). Defaults to 16.
        crop_size (int): Side of the resized crops. Defaults to 32.
        attributes (Sequence[str]): Names (from ``ATTRIBUTE_NAMES``) kept
            per tube. Defaults to :data:`DEFAULT_ATTRIBUTES`.
        mask_background (bool): Crop the frames with everything outside
            the proposals' regions set to 0, so a tube holds the moving
            objects' appearance and silhouette but not the scene around
            them (which instance contrast can learn to tell places apart
            by). The regions are the proposer's own (``labels``), grown by
            ``mask_dilate`` grid pixels. Defaults to False.
        mask_dilate (int): Growth of the regions for ``mask_background``,
            pixels of the proposer's grid. Defaults to 2.
    """

    def __init__(self,
                 proposer: Optional[dict] = None,
                 tracker: Optional[dict] = dict(),
                 clip_len: int = 16,
                 stride: int = 4,
                 anchor: str = 'last',
                 box_mode: str = 'track',
                 enlarge: float = 1.25,
                 min_side: float = 16,
                 crop_size: int = 32,
                 attributes: Sequence[str] = DEFAULT_ATTRIBUTES,
                 mask_background: bool = False,
                 mask_dilate: int = 2) -> None:
        if mask_dilate < 0:
            raise ValueError(f'mask_dilate must be >= 0, got {mask_dilate}.')
        unknown = [a for a in attributes if a not in ATTRIBUTE_NAMES]
        if unknown:
            raise ValueError(f'Unknown tube attributes {unknown}; known: '
                             f'{", ".join(ATTRIBUTE_NAMES)}.')
        if tracker is None and box_mode == 'track':
            raise ValueError("box_mode='track' needs a tracker; pass "
                             "tracker=dict() or box_mode='fixed'.")
        self.proposer = PROPOSALS.build(
            proposer or dict(type='BackgroundMotionProposer'))
        self.tracker = IoUTracker(**tracker) if tracker is not None else None
        self.clip_len = clip_len
        self.stride = stride
        self.anchor = anchor
        self.box_mode = box_mode
        self.enlarge = enlarge
        self.min_side = min_side
        self.crop_size = crop_size
        self.attribute_names = tuple(attributes)
        self.attribute_columns = [ATTRIBUTE_NAMES.index(a) for a in attributes]
        # the direction histogram only when a kept attribute reads it
        self._directions = any(a.startswith('direction_') for a in attributes)
        self.mask_background = mask_background
        self.mask_kernel = (np.ones((2 * mask_dilate + 1, ) * 2, np.uint8)
                            if mask_dilate > 0 else None)

    @property
    def num_attributes(self) -> int:
        return len(self.attribute_columns)

    def reset(self) -> None:
        """Start a new video: forget the background, flow and tracks."""
        self.proposer.reset()
        if self.tracker is not None:
            self.tracker.reset()

    def step(self, frame: np.ndarray
             ) -> Tuple[FrameProposals, np.ndarray, np.ndarray]:
        """The next frame's proposals, their track ids (-1 untracked) and
        their motion attributes (K, F): causal, one frame at a time."""
        found = self.proposer.step(frame)
        attributes = motion_attributes(
            found, self._directions)[:, self.attribute_columns]
        ids = (self.tracker.update(found.boxes) if self.tracker is not None
               else np.full(len(found), -1, np.int64))
        return found, ids, attributes

    def __call__(self, frames: Sequence[np.ndarray],
                 video: str = '', video_index: int = -1) -> VideoTubes:
        """Tubes of one whole video.

        Args:
            frames: (L, H, W) uint8 grey frames (array or sequence).
            video (str): Name stored in the tubes. Defaults to ``''``.
            video_index (int): Index stored in the tubes. Defaults to -1.
        """
        self.reset()
        steps = [self.step(frame) for frame in frames]
        proposals, ids, attributes = ([list(column) for column in zip(*steps)]
                                      if steps else ([], [], []))
        return self.cut(frames, proposals, ids, attributes, video,
                        video_index)

    def cut(self, frames: Sequence[np.ndarray],
            proposals: List[FrameProposals], track_ids: List[np.ndarray],
            region_attributes: List[np.ndarray], video: str = '',
            video_index: int = -1) -> VideoTubes:
        """The tubes of every window of ``frames`` from their per-frame
        :meth:`step` results (a window's tubes read only its own frames, so
        the last ``clip_len`` frames of a stream give that window's tubes
        exactly as the whole video does)."""
        num_frames = len(proposals)
        per_window = build_tubes(
            proposals,
            track_ids if self.tracker is not None else None,
            clip_len=self.clip_len,
            stride=self.stride,
            anchor=self.anchor,
            box_mode=self.box_mode,
            enlarge=self.enlarge,
            min_side=self.min_side,
            video=video,
            video_index=video_index)
        windows = window_frames(num_frames, self.clip_len, self.stride)
        tubes, window_index, attributes, ids = [], [], [], []
        for w, window_tubes in enumerate(per_window):
            for tube in window_tubes:
                tubes.append(tube)
                window_index.append(w)
                ids.append(tube.track_id)
                attributes.append(self._tube_attributes(
                    tube, windows[w], region_attributes, track_ids))
        if self.mask_background and tubes:
            frames = self.masked_frames(frames, proposals)
        crops = (np.stack([crop_tube(frames, t, self.crop_size) for t in tubes])
                 if tubes else np.zeros(
                     (0, self.clip_len, self.crop_size, self.crop_size),
                     np.uint8))
        return VideoTubes(
            num_frames=num_frames,
            windows=windows,
            tubes=tubes,
            window_index=np.asarray(window_index, np.int64),
            crops=crops,
            attributes=np.asarray(attributes, np.float32).reshape(
                -1, self.num_attributes),
            track_ids=np.asarray(ids, np.int64))

    def masked_frames(self, frames: Sequence[np.ndarray],
                      proposals: List[FrameProposals]) -> List[np.ndarray]:
        """``frames`` with every pixel outside the (grown) proposal regions
        of the same frame set to 0 (``mask_background``)."""
        masked = []
        for frame, found in zip(frames, proposals):
            frame = np.asarray(frame)
            region = (found.labels >= 0).astype(np.uint8)
            if self.mask_kernel is not None:
                region = cv2.dilate(region, self.mask_kernel)
            region = cv2.resize(region, frame.shape[::-1],
                                interpolation=cv2.INTER_NEAREST)
            masked.append(frame * region)
        return masked

    def _tube_attributes(self, tube: Tube, frame_ids: np.ndarray,
                         region_attributes: List[np.ndarray],
                         track_ids: List[np.ndarray]) -> np.ndarray:
        anchor_rows = region_attributes[tube.anchor]
        anchor_row = anchor_rows[tube.proposal_index]
        if self.tracker is None or tube.track_id < 0:
            return anchor_row
        rows = [region_attributes[t][track_ids[t] == tube.track_id]
                for t in np.unique(frame_ids)]
        rows = [r for r in rows if len(r)]
        return np.mean(np.concatenate(rows), axis=0) if rows else anchor_row
