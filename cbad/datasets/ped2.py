"""UCSD Ped2. Two layouts are detected automatically.

Community frames (as most VAD repos ship it)::

    data_root/
      training/frames/01/000.jpg ...   16 normal videos
      testing/frames/01/000.jpg ...    12 test videos
      UCSDped2.m        ground truth: TestVideoFile{end+1}.gt_frame = [61:180];
      ped2.mat          or: cell 'gt' 1x12, each [start; end] (1-based)
      frame_labels.npy  or: 0/1 per test frame, videos concatenated

Original UCSD download (``data_root`` may also be the UCSDped2 folder)::

    data_root/UCSDped2/
      Train/Train001/001.tif ...
      Test/Test001/001.tif ...         (Test001_gt/ mask folders are skipped)
      Test/UCSDped2.m
"""
import os
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmengine.logging import print_log

from cbad.registry import DATASETS
from cbad.utils.errors import UserInputError
from .base_video_dataset import BaseVideoDataset, VideoEntry
from .labels import load_mat_ranges, parse_ucsd_m, ranges_to_labels
from .sources.base import check_link, list_folder

_MODULE_DOC = __doc__
LABEL_SOURCES = ('auto', 'm', 'mat', 'npy')


def _subfolders(path: str) -> List[str]:
    """Video folders in ``path`` (hidden and ``*_gt`` mask folders skipped;
    a looping or dangling link fails instead of dropping a video)."""
    return [n for n in list_folder(path)
            if osp.isdir(osp.join(path, n)) and not n.endswith('_gt')]


@DATASETS.register_module()
class UCSDPed2Dataset(BaseVideoDataset):
    """UCSD Ped2 pedestrian walkway (16 train / 12 test videos, 360x240).

    Test labels come from the original ``UCSDped2.m`` ranges, the
    ``ped2.mat`` cell, or ``frame_labels.npy``; which one (and its path) is
    recorded in ``metainfo['label_source']`` / ``['label_file']``.

    Args:
        label_source (str): ``'auto'`` (first found of ``.m``, ``.mat``,
            ``.npy``), ``'m'``, ``'mat'`` or ``'npy'``. Defaults to 'auto'.
        **kwargs: See :class:`BaseVideoDataset`.
    """

    EXPECTED_TREE = _MODULE_DOC

    def __init__(self, label_source: str = 'auto', **kwargs) -> None:
        if label_source not in LABEL_SOURCES:
            raise ValueError(f'label_source must be one of {LABEL_SOURCES}, '
                             f'got {label_source!r}.')
        self.label_source = label_source
        super().__init__(**kwargs)

    def _layout(self) -> Tuple[str, str, str]:
        """(layout, train folder, test folder) found under data_root."""
        root = self.data_root
        if osp.isdir(osp.join(root, 'training', 'frames')) or osp.isdir(
                osp.join(root, 'testing', 'frames')):
            return ('frames', osp.join(root, 'training', 'frames'),
                    osp.join(root, 'testing', 'frames'))
        for base in (osp.join(root, 'UCSDped2'), root):
            if osp.isdir(osp.join(base, 'Train')) or osp.isdir(
                    osp.join(base, 'Test')):
                return ('ucsd', osp.join(base, 'Train'),
                        osp.join(base, 'Test'))
        found = sorted(os.listdir(root))[:20]
        raise self.missing_data_error(
            f'unknown layout in {root!r}: found {found}; accepted are '
            "'training/frames' + 'testing/frames' (community frames) or "
            "'UCSDped2/Train' + 'UCSDped2/Test' (original UCSD download).")

    def list_videos(self, split: str) -> List[VideoEntry]:
        layout, train_dir, test_dir = self._layout()
        folder = train_dir if split == 'train' else test_dir
        self.extra_metainfo.update(layout=layout)
        if not osp.isdir(folder):
            raise self.missing_data_error(
                f'{split} folder {folder} is missing.')
        sources = [self.frame_folder(osp.join(folder, n))
                   for n in _subfolders(folder)]
        if split == 'train':
            self.extra_metainfo.update(label_source=None, label_file=None)
            return [(s.name, s, None) for s in sources]
        labels = self._load_labels(layout, test_dir,
                                   [s.num_frames for s in sources],
                                   [s.name for s in sources])
        return [(s.name, s, lab) for s, lab in zip(sources, labels)]

    def _candidates(self, kind: str, layout: str,
                    test_dir: str) -> List[str]:
        root, base = self.data_root, osp.dirname(test_dir)
        name = dict(
            m='UCSDped2.m', mat='ped2.mat', npy='frame_labels.npy')[kind]
        places = [root, test_dir, base] if layout == 'ucsd' else [
            root, osp.dirname(test_dir)]
        return list(dict.fromkeys(osp.join(p, name) for p in places))

    def _load_labels(self, layout: str, test_dir: str, counts: List[int],
                     names: List[str]) -> List[np.ndarray]:
        kinds = ('m', 'mat', 'npy') if self.label_source == 'auto' else (
            self.label_source, )
        searched, path, kind = [], None, None
        for kind in kinds:
            for candidate in self._candidates(kind, layout, test_dir):
                searched.append(candidate)
                check_link(candidate)
                if osp.isfile(candidate):
                    path = candidate
                    break
            if path:
                break
        if path is None:
            raise self.missing_data_error(
                f'no Ped2 ground truth for label_source={self.label_source!r}'
                f'; looked for {searched}.')
        self.extra_metainfo.update(label_source=kind, label_file=path)
        print_log(f'UCSDPed2Dataset: test labels from {path} ({kind}).',
                  logger='current')
        if kind == 'npy':
            return _split_concatenated(np.load(path), counts, names, path)
        ranges = parse_ucsd_m(path) if kind == 'm' else load_mat_ranges(path)
        if len(ranges) != len(names):
            raise UserInputError(
                f'{path} has ground truth for {len(ranges)} test videos, but '
                f'{len(names)} test video folders were found in {test_dir}; '
                'expected one entry per test video, in sorted order.')
        return [ranges_to_labels(r, n, v)
                for r, n, v in zip(ranges, counts, names)]


def _split_concatenated(labels: np.ndarray, counts: List[int],
                        names: List[str], path: Optional[str]) -> List:
    """Cut labels of videos concatenated in order into per-video arrays."""
    labels = np.asarray(labels).reshape(-1)
    if labels.size != sum(counts):
        raise UserInputError(
            f'{path} holds {labels.size} labels but the {len(names)} test '
            f'videos have {sum(counts)} frames; expected one label per frame '
            'of the videos concatenated in sorted order.')
    bounds = np.cumsum([0] + list(counts))
    return [labels[a:b].astype(np.uint8) for a, b in zip(bounds, bounds[1:])]
