"""CUHK Avenue. Expected tree::

    data_root/
      training_videos/01.avi ... 16.avi     normal videos (640x360, 25 fps)
      testing_videos/01.avi ... 21.avi
      testing_label_mask/1_label.mat ...    volLabel: 1xT cell of pixel masks
        (or ground_truth_demo/testing_label_mask/1_label.mat ...)
      avenue.mat                            or: cell 'gt' 1x21 of [start; end]

The two label sets differ on a few hundred frames; ``label_source`` picks
one and ``metainfo['label_source']`` records it.
"""
import os.path as osp
from typing import List

import numpy as np
from mmengine.logging import print_log

from cbad.registry import DATASETS
from cbad.utils.errors import DataNotFoundError, UserInputError
from .base_video_dataset import BaseVideoDataset, VideoEntry
from .labels import load_mat_ranges, ranges_to_labels
from .sources import VIDEO_EXTENSIONS
from .sources.base import list_folder

_MODULE_DOC = __doc__
LABEL_SOURCES = ('auto', 'mask', 'mat')
MASK_DIRS = ('testing_label_mask',
             osp.join('ground_truth_demo', 'testing_label_mask'))


def load_volume_label(path: str) -> np.ndarray:
    """Frame labels from an Avenue ``<n>_label.mat`` mask file.

    Args:
        path (str): A ``.mat`` file with variable ``volLabel``, a 1xT cell of
            pixel masks.

    Returns:
        np.ndarray: uint8 (T,), 1 where the frame's mask has any nonzero
        pixel.
    """
    from scipy.io import loadmat
    content = loadmat(path)
    if 'volLabel' not in content:
        found = [k for k in content if not k.startswith('__')]
        raise UserInputError(f'{path} has no variable "volLabel" (found {found});'
                         ' expected a 1xT cell of pixel masks.')
    masks = np.asarray(content['volLabel']).reshape(-1)
    return np.array([np.any(np.asarray(m)) for m in masks], dtype=np.uint8)


@DATASETS.register_module()
class AvenueDataset(BaseVideoDataset):
    """CUHK Avenue (16 train / 21 test videos).

    Args:
        label_source (str): ``'mask'`` (per-frame pixel masks, the official
            ground truth), ``'mat'`` (``avenue.mat`` ranges) or ``'auto'``
            (masks if present, else ``avenue.mat``). Defaults to 'auto'.
        **kwargs: See :class:`BaseVideoDataset`.
    """

    EXPECTED_TREE = _MODULE_DOC

    def __init__(self, label_source: str = 'auto', **kwargs) -> None:
        if label_source not in LABEL_SOURCES:
            raise ValueError(f'label_source must be one of {LABEL_SOURCES}, '
                             f'got {label_source!r}.')
        self.label_source = label_source
        super().__init__(**kwargs)

    def list_videos(self, split: str) -> List[VideoEntry]:
        folder = osp.join(self.data_root, f'{split}ing_videos')
        if not osp.isdir(folder):
            raise self.missing_data_error(f'{folder} is missing.')
        files = [f for f in list_folder(folder)
                 if f.lower().endswith(VIDEO_EXTENSIONS)]
        sources = [self.video_file(osp.join(folder, f)) for f in files]
        if split == 'train':
            self.extra_metainfo.update(label_source=None, label_file=None)
            return [(s.name, s, None) for s in sources]
        return [(s.name, s, lab)
                for s, lab in zip(sources, self._load_labels(sources))]

    def _load_labels(self, sources) -> List[np.ndarray]:
        root = self.data_root
        mask_dir = next((osp.join(root, d) for d in MASK_DIRS
                         if osp.isdir(osp.join(root, d))), None)
        mat_file = osp.join(root, 'avenue.mat')
        kind = self.label_source
        if kind == 'auto':
            kind = 'mask' if mask_dir else 'mat'
        if kind == 'mask' and mask_dir is None:
            raise self.missing_data_error(
                f'no label mask folder; looked for {list(MASK_DIRS)}.')
        if kind == 'mat' and not osp.isfile(mat_file):
            raise self.missing_data_error(
                'no test labels: neither a label mask folder '
                f'({list(MASK_DIRS)}) nor {mat_file} exists.')
        label_file = mask_dir if kind == 'mask' else mat_file
        self.extra_metainfo.update(label_source=kind, label_file=label_file)
        print_log(f'AvenueDataset: test labels from {label_file} ({kind}).',
                  logger='current')
        if kind == 'mat':
            ranges = load_mat_ranges(mat_file)
            if len(ranges) != len(sources):
                raise UserInputError(
                    f'{mat_file} has ranges for {len(ranges)} videos but '
                    f'{len(sources)} test videos were found; expected one '
                    'entry per test video, in sorted order.')
            return [ranges_to_labels(r, s.num_frames, s.name)
                    for r, s in zip(ranges, sources)]
        labels = []
        for source in sources:
            names = [f'{source.name}_label.mat']
            if source.name.isdigit():
                names.insert(0, f'{int(source.name)}_label.mat')
            path = next((osp.join(mask_dir, n) for n in names
                         if osp.isfile(osp.join(mask_dir, n))), None)
            if path is None:
                raise DataNotFoundError(
                    f'No label mask for test video {source.name!r}: looked '
                    f'for {names} in {mask_dir}.')
            labels.append(load_volume_label(path))
        return labels
