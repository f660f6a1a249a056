"""Training tubes of the object-centric unit: one sample per object tube."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from tqdm import tqdm

from cbad.proposals import TubeExtractor
from cbad.registry import DATASETS, TRANSFORMS
from cbad.structures import ClipDataSample
from .motion_intensity import assign_motion_groups
from .sources import read_grey
from .tube_cache import (default_tube_cache_dir, load_tubes, save_tubes,
                         tube_cache_key)


@DATASETS.register_module()
class TubeDataset(BaseDataset):
    """Every object tube of a video dataset's split, one sample each.

    Wraps a video dataset (any :class:`BaseVideoDataset`: Ped2, Avenue,
    ShanghaiTech, a folder, the synthetic scene): each of its videos is read
    once in grey, cut into tubes by a :class:`~cbad.proposals.TubeExtractor`
    built from ``tubes`` (the same dict the detector gets, so training and
    scoring see the same tubes), and every tube becomes a data info with
    its crops, motion attributes, track id and window frames. Tubes are
    kept in memory (Ped2's training split: ~1,300 tubes of 16x32x32, 21 MB).

    Motion groups (eq. 8): q of a tube is its mean flow speed (the
    ``speed_mean`` attribute, the mean flow magnitude over the object's
    pixels in the window); ``num_motion_groups`` equal-count groups of q.

    Args:
        dataset (dict): Config of the video dataset; its ``split``,
            ``clip_len`` and ``stride`` are used, its pipeline is not.
        tubes (dict): :class:`TubeExtractor` arguments (no ``clip_len`` /
            ``stride``: the video dataset's).
        num_motion_groups (int): Groups of eq. 8. Defaults to 3.
        pipeline (Sequence): Transforms; ``PackTubeInputs`` packs a tube.
        cache_dir (str, optional): Folder of the per-video tube cache
            (:mod:`cbad.datasets.tube_cache`; videos read from files only).
            Defaults to None (``$CBAD_CACHE_DIR/tubes``, else
            ``~/.cache/cbad/tubes``).
        use_cache (bool): Read and write that cache. Defaults to True.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self,
                 dataset: dict,
                 tubes: Optional[dict] = None,
                 num_motion_groups: int = 3,
                 pipeline: Sequence[Union[dict, callable]] = (),
                 cache_dir: Optional[str] = None,
                 use_cache: bool = True,
                 **kwargs) -> None:
        self.video_dataset = DATASETS.build(
            dict(dataset, sample_unit='video', pipeline=[]))
        self.extractor = TubeExtractor(
            clip_len=self.video_dataset.clip_len,
            stride=self.video_dataset.stride,
            **(tubes or {}))
        self._settings = dict(clip_len=self.video_dataset.clip_len,
                              stride=self.video_dataset.stride,
                              tubes=dict(tubes or {}))
        self.cache_dir = cache_dir or default_tube_cache_dir()
        self.use_cache = use_cache
        self.num_motion_groups = num_motion_groups
        super().__init__(pipeline=pipeline, serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        videos = self.video_dataset
        data_list, cached = [], 0
        for idx in tqdm(range(len(videos)), desc='tubes', unit='video'):
            info = videos.get_data_info(idx)
            video, hit = self._video_tubes(info)
            cached += hit
            for n in range(len(video['crops'])):
                data_list.append(dict(
                    crops=video['crops'][n],
                    attributes=video['attributes'][n],
                    video=info['video'],
                    video_index=info['video_index'],
                    frame_indices=video['windows'][video['window_index'][n]],
                    num_frames=int(video['num_frames']),
                    track_id=int(video['track_ids'][n])))
        if cached:
            print_log(f'{type(self).__name__}: the tubes of {cached} of '
                      f'{len(videos)} videos from the cache {self.cache_dir}',
                      logger='current')
        if not data_list:
            raise ValueError(
                f'{type(self).__name__}: no tube in any of the {len(videos)} '
                f'{videos.split} videos; the proposals found nothing moving. '
                'Check the proposer settings (min_area, thresholds).')
        column = self.extractor.attribute_names.index('speed_mean') if (
            'speed_mean' in self.extractor.attribute_names) else None
        if column is not None and self.num_motion_groups > 0:
            q = np.array([d['attributes'][column] for d in data_list])
            groups, thresholds = assign_motion_groups(q,
                                                      self.num_motion_groups)
            for info, qi, group in zip(data_list, q, groups):
                info.update(motion_q=float(qi), motion_group=int(group))
            print_log(
                f'{type(self).__name__}: {len(data_list)} tubes from '
                f'{len(videos)} videos; motion groups (eq. 8) thresholds on '
                f'tube speed {np.round(thresholds, 3).tolist()}, tubes per '
                f'group {np.bincount(groups).tolist()}',
                logger='current')
        self._metainfo.update(
            dataset_name=type(self).__name__,
            videos_from=type(videos).__name__,
            split=videos.split,
            num_videos=len(videos),
            num_tubes=len(data_list),
            clip_len=videos.clip_len,
            stride=videos.stride)
        return data_list

    def _video_tubes(self, info: dict) -> Tuple[Dict[str, np.ndarray], bool]:
        """One video's tube arrays (:data:`CACHED_ARRAYS`), from the cache
        when an entry for exactly this video, settings and code exists;
        and whether it did. Videos not read from files are not cached."""
        source = info['source']
        path = None
        if self.use_cache and osp.exists(str(getattr(source, 'path', ''))):
            path = osp.join(self.cache_dir,
                            tube_cache_key(info, self._settings))
            entry = load_tubes(path)
            if entry is not None:
                return entry, True
        ids = np.asarray(info['frame_indices']) + info.get('frame_offset', 0)
        # one frame at a time, straight to grey: a whole colour video at
        # once would need 3x the memory (ShanghaiTech: ~1.2 GB)
        frames = [read_grey(source, int(i)) for i in ids]
        video = self.extractor(frames, info['video'], info['video_index'])
        entry = dict(crops=video.crops, attributes=video.attributes,
                     window_index=video.window_index, windows=video.windows,
                     track_ids=video.track_ids,
                     num_frames=np.asarray(video.num_frames))
        if path is not None:
            save_tubes(path, entry)
        return entry, False


@TRANSFORMS.register_module()
class PackTubeInputs(BaseTransform):
    """Pack a tube's crops as ``inputs`` (1, T, S, S) uint8 and its facts
    (video, window frames, track, motion group, attributes) as metainfo."""

    meta_keys = ('video', 'video_index', 'frame_indices', 'num_frames',
                 'track_id', 'motion_group', 'motion_q', 'attributes')

    def transform(self, results: dict) -> dict:
        inputs = torch.from_numpy(np.ascontiguousarray(
            results['crops'])).unsqueeze(0)
        sample = ClipDataSample(metainfo={
            k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)
