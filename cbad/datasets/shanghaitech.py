"""ShanghaiTech Campus. Expected tree::

    data_root/
      training/videos/01_001.avi ...        330 normal videos (274k frames)
        (or training/frames/01_001/000.jpg ...)
      testing/frames/01_0014/000.jpg ...    107 test videos
      testing/test_frame_mask/01_0014.npy   0/1 per frame (uint8)
        (or test_frame_mask/01_0014.npy at data_root)
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List

import numpy as np
from mmengine.logging import print_log

from cbad.registry import DATASETS
from cbad.utils.errors import DataNotFoundError, UserInputError
from .base_video_dataset import BaseVideoDataset, VideoEntry
from .labels import load_label_file
from .sources import VIDEO_EXTENSIONS
from .sources.base import list_folder

_MODULE_DOC = __doc__
MASK_DIRS = (osp.join('testing', 'test_frame_mask'), 'test_frame_mask')


def find_shanghaitech_mask_dir(root: str) -> str:
    """The folder of ``<video>.npy`` label files under ``root``.

    Raises:
        DataNotFoundError: If neither accepted location exists (a
            FileNotFoundError).
    """
    for sub in MASK_DIRS:
        if osp.isdir(osp.join(root, sub)):
            return osp.join(root, sub)
    raise DataNotFoundError(
        f'No ShanghaiTech label folder under {root!r}: looked for '
        f'{list(MASK_DIRS)}, each holding <scene>_<clip>.npy files.')


def load_shanghaitech_labels(root: str) -> Dict[str, np.ndarray]:
    """Read every ShanghaiTech test label file, without needing frames.

    Args:
        root (str): Dataset root holding ``testing/test_frame_mask/`` or
            ``test_frame_mask/``.

    Returns:
        dict[str, np.ndarray]: Video id -> uint8 (num_frames,) labels, in
        sorted video order (the order of the official concatenated labels).
    """
    mask_dir = find_shanghaitech_mask_dir(root)
    names = sorted(f[:-4] for f in list_folder(mask_dir) if f.endswith('.npy'))
    if not names:
        raise DataNotFoundError(f'{mask_dir} holds no <video>.npy files.')
    return OrderedDict(
        (n, load_label_file(osp.join(mask_dir, n + '.npy'))) for n in names)


def _dirs(path: str) -> List[str]:
    return [n for n in list_folder(path) if osp.isdir(osp.join(path, n))]


@DATASETS.register_module()
class ShanghaiTechDataset(BaseVideoDataset):
    """ShanghaiTech Campus (13 scenes; 330 train videos, 107 test videos).

    Training videos are read from ``training/frames/`` when present (faster
    random access), else from ``training/videos/``; the choice is recorded
    in ``metainfo['layout']``.

    Args:
        **kwargs: See :class:`BaseVideoDataset`.
    """

    EXPECTED_TREE = _MODULE_DOC

    def list_videos(self, split: str) -> List[VideoEntry]:
        root = self.data_root
        if split == 'train':
            frames = osp.join(root, 'training', 'frames')
            videos = osp.join(root, 'training', 'videos')
            if osp.isdir(frames):
                self.extra_metainfo.update(layout='training/frames')
                return [(s.name, s, None) for s in (
                    self.frame_folder(osp.join(frames, n))
                    for n in _dirs(frames))]
            if osp.isdir(videos):
                self.extra_metainfo.update(layout='training/videos')
                files = [f for f in list_folder(videos)
                         if f.lower().endswith(VIDEO_EXTENSIONS)]
                return [(s.name, s, None) for s in (
                    self.video_file(osp.join(videos, f)) for f in files)]
            raise self.missing_data_error(
                f'neither {frames} nor {videos} exists.')
        frames = osp.join(root, 'testing', 'frames')
        if not osp.isdir(frames):
            raise self.missing_data_error(f'{frames} is missing.')
        try:
            labels = load_shanghaitech_labels(root)
        except FileNotFoundError as err:
            raise self.missing_data_error(str(err)) from None
        sources = [self.frame_folder(osp.join(frames, n))
                   for n in _dirs(frames)]
        unlabelled = [s.name for s in sources if s.name not in labels]
        if unlabelled:
            raise UserInputError(
                f'Test videos {unlabelled[:10]} have no label file in '
                f'{find_shanghaitech_mask_dir(root)}; expected '
                '<video>.npy for every folder in testing/frames.')
        if len(sources) < len(labels):
            print_log(
                f'ShanghaiTechDataset: {len(labels) - len(sources)} label '
                'files have no frame folder; those videos are skipped.',
                logger='current')
        self.extra_metainfo.update(
            label_source='test_frame_mask',
            label_file=find_shanghaitech_mask_dir(root))
        return [(s.name, s, labels[s.name]) for s in sources]
