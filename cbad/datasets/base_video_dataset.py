"""Base class of every cbad video dataset: videos -> per-clip data infos."""
import math
import os.path as osp
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.dataset.base_dataset import force_full_init
from mmengine.logging import print_log

from cbad.registry import TRANSFORMS
from cbad.utils.errors import (CorruptDataError, DataNotFoundError,
                               UserInputError)
from cbad.utils.random_state import reseed_worker_for_epoch
from cbad.structures import build_clip_index, window_starts
from .motion_intensity import attach_motion_groups, check_motion_groups_cfg
from .sources import FrameFolderSource, FrameSource, VideoFileSource
from .sources.base import check_link

#: What :meth:`BaseVideoDataset.list_videos` returns per video.
VideoEntry = Tuple[str, FrameSource, Optional[np.ndarray]]

SPLITS = ('train', 'val', 'test')
# With fewer training videos than this, 'val' takes trailing frames of every
# video instead of whole videos (too few videos to hold any out).
MIN_VIDEOS_FOR_VIDEO_SPLIT = 4


class BaseVideoDataset(BaseDataset):
    """A set of videos cut into overlapping clips (one data info per clip).

    Subclasses implement :meth:`list_videos` and set :attr:`EXPECTED_TREE`
    (the folder tree drawn in their docstring). This class lays the clip
    index, attaches labels and applies the one-class protocol:

    - ``'train'`` and ``'val'`` come from the training (normal) videos.
      ``'val'`` is carved from them: with at least 4 videos, whole videos,
      ``max(1, round(val_ratio * n))`` of them spread evenly over the sorted
      list; with fewer, the trailing ``max(clip_len, ceil(val_ratio * T))``
      frames of every video long enough to keep ``clip_len`` frames for
      training. ``'train'`` takes exactly the rest, so the two are disjoint
      at frame level and cover the training videos.
    - ``'test'`` is every test video with its per-frame labels.

    Each data info holds ``video``, ``video_index``, ``frame_indices``
    (T,), ``num_frames`` (of the whole video), ``source`` (the shared
    :class:`FrameSource`) and, for labelled videos, ``gt_labels`` (T,) uint8.

    Args:
        data_root (str): Root folder of the dataset. Defaults to ''.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        clip_len (int): Frames per clip (T). Defaults to 16.
        stride (int): Frames between clip starts. Defaults to 4.
        val_ratio (float): Share of training data held out as ``'val'``,
            in [0, 1). 0 disables ``'val'``. Defaults to 0.1.
        pipeline (Sequence[dict | Callable]): Transforms. Defaults to ().
        test_mode (bool): mmengine's test mode (no refetch on ``None``).
            Defaults to False.
        serialize_data (bool): Pickle the data list (mmengine's memory
            saving). Off by default because sources are shared objects whose
            frame caches pickling would drop. Defaults to False.
        max_videos (int, optional): Keep only the first videos (debugging).
            Defaults to None.
        frame_cache (int): LRU size, in frames, of each frame-folder source
            (0: no cache). Defaults to 0.
        cache_videos (bool): Video-file sources decode their whole video
            into memory on first read (fast random access, ``T*H*W*3``
            bytes each) instead of seeking. Defaults to True.
        motion_groups (dict, optional): For ``'train'``: add ``motion_q``
            and ``motion_group`` (0 = low motion) to every clip, eq. 8, e.g.
            ``dict(num_groups=3, flow_size=(60, 90), cache_dir=None)``; see
            :func:`~cbad.datasets.motion_intensity.attach_motion_groups`.
            Ignored, with a log line, for other splits. Defaults to None.
        sample_unit (str): ``'clip'``: one sample per sliding window;
            ``'video'``: one sample per (carved part of a) video holding all
            its frames, for detectors that encode each frame once and pool
            over windows themselves. Defaults to ``'clip'``.
        check_frame_numbers (bool): Refuse frame folders whose file numbers
            have gaps or repeats (labels are matched to frames by position,
            so a missing frame shifts every later label). Defaults to True.
        check_frames (bool): Decode every frame once while loading, so a
            corrupt frame fails before any training or scoring, with every
            bad file named (about 0.5 ms per frame). Otherwise a corrupt
            frame fails when it is first read. Defaults to False.
        frame_steps (Sequence[int]): Temporal augmentation of the training
            clips (Hasan et al.'s frame skips): for each step ``s`` the
            video also gives clips of ``clip_len`` frames taken every ``s``
            frames (``start, start + s, ...``), starts every ``stride``
            frames plus one aligned to the end, as for ``s = 1``; a video
            shorter than a step's span gives none for that step. Only for
            ``split='train'`` with ``sample_unit='clip'`` (scoring needs
            every frame once). Defaults to ``(1,)``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    #: Folder tree a user must provide; shown when data_root is missing.
    EXPECTED_TREE: str = ''
    #: False for generated datasets that read nothing from disk.
    REQUIRES_DATA_ROOT: bool = True

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 clip_len: int = 16,
                 stride: int = 4,
                 val_ratio: float = 0.1,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 serialize_data: bool = False,
                 max_videos: Optional[int] = None,
                 frame_cache: int = 0,
                 cache_videos: bool = True,
                 motion_groups: Optional[dict] = None,
                 sample_unit: str = 'clip',
                 check_frame_numbers: bool = True,
                 check_frames: bool = False,
                 frame_steps: Sequence[int] = (1, ),
                 **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(
                f'split must be one of {SPLITS}, got {split!r}.')
        for name, value in (('clip_len', clip_len), ('stride', stride)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'{name} must be a positive int, got {value!r}.')
        if not 0 <= val_ratio < 1:
            raise ValueError(f'val_ratio must be in [0, 1), got {val_ratio}.')
        if sample_unit not in ('clip', 'video'):
            raise ValueError("sample_unit must be 'clip' or 'video', got "
                             f'{sample_unit!r}.')
        if max_videos is not None and max_videos < 1:
            raise ValueError(f'max_videos must be >= 1, got {max_videos}.')
        frame_steps = tuple(frame_steps)
        positive_ints = all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1
            for v in frame_steps)
        if not positive_ints or len(set(frame_steps)) != len(frame_steps) \
                or not frame_steps:
            raise ValueError('frame_steps must be distinct positive ints, '
                             f'got {frame_steps!r}.')
        if frame_steps != (1, ) and (split != 'train'
                                     or sample_unit != 'clip'):
            raise ValueError(
                f'frame_steps={frame_steps!r} augments training clips only '
                f"(split='train', sample_unit='clip'), got split={split!r}, "
                f'sample_unit={sample_unit!r}: scoring needs every frame '
                'once, at its own time.')
        self.frame_steps = frame_steps
        self.split = split
        self.clip_len = clip_len
        self.stride = stride
        self.val_ratio = val_ratio
        self.max_videos = max_videos
        self.sample_unit = sample_unit
        self.frame_cache = frame_cache
        self.cache_videos = cache_videos
        self.check_frame_numbers = check_frame_numbers
        self.check_frames = check_frames
        self.motion_groups = check_motion_groups_cfg(motion_groups)
        self._videos: Dict[str, int] = {}
        self._labels: Dict[str, np.ndarray] = {}
        # Subclasses add facts here (layout, label source) for metainfo.
        self.extra_metainfo: dict = {}
        # Built from cbad's node so the dataset also works outside a Runner
        # (no default scope needed); built transforms pass through.
        pipeline = [TRANSFORMS.build(t) if isinstance(t, dict) else t
                    for t in pipeline]
        super().__init__(
            data_root=data_root,
            pipeline=pipeline,
            test_mode=test_mode,
            serialize_data=serialize_data,
            **kwargs)

    # ----------------------------------------------------------- subclasses
    def list_videos(self, split: str) -> List[VideoEntry]:
        """List the videos of ``'train'`` or ``'test'`` data.

        Args:
            split (str): ``'train'`` (the normal training videos, from which
                ``'val'`` is also carved) or ``'test'``.

        Returns:
            list[tuple[str, FrameSource, np.ndarray | None]]: ``(name,
            source, labels)`` per video, in a fixed order; labels are 0/1 per
            frame, or None for unlabelled videos.
        """
        raise NotImplementedError

    def frame_folder(self, path: str) -> FrameFolderSource:
        """A frame-folder source using this dataset's ``frame_cache`` and
        ``check_frame_numbers``."""
        return FrameFolderSource(path, cache_frames=self.frame_cache,
                                 check_numbering=self.check_frame_numbers)

    def video_file(self, path: str) -> VideoFileSource:
        """A video-file source using this dataset's ``cache_videos``."""
        return VideoFileSource(path, cache=self.cache_videos)

    def missing_data_error(self, what: str) -> DataNotFoundError:
        """An error for missing data that shows the expected folder tree."""
        return DataNotFoundError(
            f'{type(self).__name__}: {what}\nExpected this layout under '
            f'data_root:\n{self.EXPECTED_TREE.strip()}\nPrepare the data '
            'this way (see docs/dataset_preparation.md) and point the '
            'configs at the folder holding it: CBAD_DATA_ROOT=FOLDER (the '
            'folder with ped2/, avenue/, shanghaitech/), or set '
            'data_root in train_dataloader, fit_dataloader and '
            'test_dataloader with --cfg-options.')

    # ------------------------------------------------------------- loading
    def load_data_list(self) -> List[dict]:
        """Expand the split's videos into one data info per clip."""
        if self.REQUIRES_DATA_ROOT and self.data_root:
            check_link(self.data_root)
        if self.REQUIRES_DATA_ROOT and not (self.data_root
                                            and osp.isdir(self.data_root)):
            raise self.missing_data_error(
                f'data_root {self.data_root!r} does not exist.')
        videos = self.list_videos('test' if self.split == 'test' else 'train')
        if not videos:
            raise self.missing_data_error(
                f'no {self.split} videos found under {self.data_root!r}.')
        if self.max_videos is not None:
            videos = videos[:self.max_videos]
        videos = [self._checked(*entry) for entry in videos]
        if self.check_frames:
            self._check_all_frames(videos)
        names = [name for name, _, _ in videos]
        if len(set(names)) != len(names):
            dups = sorted({n for n in names if names.count(n) > 1})
            raise UserInputError(
                f'Video names must be unique, found duplicates {dups}. '
                'Rename the videos so each name appears once.')
        segments = self._carve(videos)
        data_list = []
        for video_index, (name, source, labels, start, stop) in enumerate(
                segments):
            # A carved part of a video (trailing-frame val split) is scored
            # as a video of its own: frame ids are relative to ``start`` and
            # ``frame_offset`` maps them back to the source when reading.
            length = stop - start
            self._videos[name] = length
            if labels is not None:
                labels = labels[start:stop]
                self._labels[name] = labels
            if self.sample_unit == 'video':
                windows = [np.arange(length)]
            else:
                windows = []
                if 1 in self.frame_steps:
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter('always')
                        windows = build_clip_index(length, self.clip_len,
                                                   self.stride)
                    for warning in caught:
                        warnings.warn(f'Video {name!r}: {warning.message}',
                                      UserWarning)
                windows += self._skipped_windows(length)
            for ids in windows:
                info = dict(
                    video=name,
                    video_index=video_index,
                    frame_indices=ids,
                    num_frames=length,
                    frame_offset=start,
                    source=source)
                if labels is not None:
                    info['gt_labels'] = labels[ids]
                data_list.append(info)
        self._metainfo.update(
            dataset_name=type(self).__name__,
            split=self.split,
            clip_len=self.clip_len,
            stride=self.stride,
            val_ratio=self.val_ratio,
            num_videos=len(segments),
            num_clips=len(data_list),
            sample_unit=self.sample_unit,
            frame_steps=self.frame_steps,
            **self.extra_metainfo)
        if self.motion_groups is not None and self.split == 'train':
            self._metainfo.update(
                attach_motion_groups(self, data_list, self.motion_groups))
        elif self.motion_groups is not None:
            print_log(f'motion_groups ignored for split {self.split!r} '
                      '(training clips only).', logger='current')
        return data_list

    def _checked(self, name: str, source: FrameSource,
                 labels: Optional[np.ndarray]) -> VideoEntry:
        if labels is None:
            return name, source, None
        labels = np.asarray(labels).reshape(-1)
        if labels.size != source.num_frames:
            raise UserInputError(
                f'Video {name!r}: {labels.size} labels but {source.num_frames}'
                ' frames; expected exactly one 0/1 label per frame. Check '
                'that the label file belongs to this video and that no frames'
                ' are missing.')
        if labels.size and not np.isin(labels, (0, 1)).all():
            raise UserInputError(
                f'Video {name!r}: labels must be 0/1, found values '
                f'{np.unique(labels)[:10].tolist()}.')
        return name, source, labels.astype(np.uint8)

    def _check_all_frames(self, videos: List[VideoEntry]) -> None:
        """``check_frames``: read every frame now, name every bad one."""
        problems = []
        for _, source, _ in videos:
            problems += source.check_frames()
        if problems:
            shown = '\n'.join(problems[:20])
            more = (f'\n... and {len(problems) - 20} more'
                    if len(problems) > 20 else '')
            raise CorruptDataError(
                f'{type(self).__name__} ({self.split}): {len(problems)} '
                f'corrupt frames found by check_frames:\n{shown}{more}\n'
                'Re-extract these frames, or remove their videos.')

    def _carve(self, videos: List[VideoEntry]) -> List[tuple]:
        """One-class val protocol: (name, source, labels, start, stop)."""
        whole = [(n, s, lab, 0, s.num_frames) for n, s, lab in videos]
        if self.split == 'test':
            return whole
        num = len(videos)
        train, val, val_ranges = [], [], {}
        if self.val_ratio == 0:
            mode, train = 'none', whole
        elif num >= MIN_VIDEOS_FOR_VIDEO_SPLIT:
            mode = 'videos'
            num_val = min(num - 1, max(1, round(self.val_ratio * num)))
            # Evenly spread picks, so val spans the (sorted) set of scenes.
            picks = {int((i + 0.5) * num / num_val) for i in range(num_val)}
            for i, entry in enumerate(whole):
                (val if i in picks else train).append(entry)
        else:
            mode = 'trailing_frames'
            for name, source, labels, _, stop in whole:
                num_val = max(self.clip_len, math.ceil(self.val_ratio * stop))
                cut = stop - num_val
                if cut < self.clip_len:  # too short to give frames away
                    train.append((name, source, labels, 0, stop))
                    continue
                train.append((name, source, labels, 0, cut))
                val.append((name, source, labels, cut, stop))
                val_ranges[name] = [cut, stop]
        self.extra_metainfo.update(
            val_mode=mode,
            val_videos=[entry[0] for entry in val],
            val_frame_ranges=val_ranges)
        if self.split == 'val' and not val:
            raise ValueError(
                f'{type(self).__name__}: the val split is empty (val_ratio='
                f'{self.val_ratio}, {num} training videos, mode {mode!r}); '
                'raise val_ratio, add training videos, or validate without '
                "a 'val' dataset.")
        print_log(
            f'{type(self).__name__} {self.split}: val carved by {mode}, '
            f'val videos {[e[0] for e in val]}',
            logger='current')
        return val if self.split == 'val' else train

    def prepare_data(self, idx: int) -> dict:
        # In a dataloader worker, random transforms draw from generators
        # seeded per (seed, epoch, rank, worker) at the epoch's first item,
        # so a resumed run's workers draw what an unbroken run's would.
        reseed_worker_for_epoch()
        return super().prepare_data(idx)

    def _skipped_windows(self, length: int) -> List[np.ndarray]:
        """Clips of the frame steps other than 1 of a video of ``length``
        frames (``frame_steps``), step by step in the order given."""
        windows = []
        offsets = np.arange(self.clip_len, dtype=np.int64)
        for step in self.frame_steps:
            span = (self.clip_len - 1) * step + 1
            if step == 1 or length < span:
                continue
            windows += [start + step * offsets
                        for start in window_starts(length, span, self.stride)]
        return windows

    # ------------------------------------------------------------ accessors
    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """The idx-th data info; the source is shared, not deep-copied."""
        if self.serialize_data:
            return super().get_data_info(idx)
        info = dict(self.data_list[idx])
        for key in ('frame_indices', 'gt_labels'):
            if key in info:
                info[key] = info[key].copy()
        info['sample_idx'] = idx if idx >= 0 else len(self) + idx
        return info

    @property
    @force_full_init
    def videos(self) -> Dict[str, int]:
        """dict[str, int]: Frame count of each video (or carved part) of the
        split, in order."""
        return dict(self._videos)

    @force_full_init
    def video_labels(self) -> Dict[str, np.ndarray]:
        """Per-frame 0/1 labels of each labelled video of the split.

        Returns:
            dict[str, np.ndarray]: Video name -> uint8 labels of shape
            (num_frames,), in video order. Empty for unlabelled splits.
        """
        return {name: labels.copy() for name, labels in self._labels.items()}
