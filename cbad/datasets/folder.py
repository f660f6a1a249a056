"""Your own footage. Expected tree, either split into train and test::

    data_root/
      train/                  normal footage only
        cam1_monday.mp4       a video file (.avi .mp4 .mov .mkv ...), or
        cam2_day1/000.jpg ... a folder of frames (.jpg .png .tif .bmp)
      test/
        cam1_friday.mp4
        cam2_day9/000.jpg ...
      labels/                 optional, for test videos
        cam1_friday.npy       0/1 per frame (.npy), or
        cam2_day9.txt         0/1 per frame (.txt, whitespace separated)

or a single folder of videos / frame folders (plus optional ``labels/``),
used as the test split::

    data_root/
      clip_a.avi
      clip_b/000.jpg ...
      labels/clip_a.txt
"""
import logging
import os.path as osp
from typing import List, Optional

from mmengine.logging import print_log

from cbad.registry import DATASETS
from cbad.utils.errors import UserInputError
from .base_video_dataset import BaseVideoDataset, VideoEntry
from .labels import load_label_file
from .sources import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from .sources.base import check_link, list_folder

_MODULE_DOC = __doc__


@DATASETS.register_module()
class VideoFolderDataset(BaseVideoDataset):
    """A folder of video files and/or frame folders (user footage).

    A video's name is its file stem or folder name; its labels, if any, are
    ``<labels_dir>/<name>.npy`` or ``<name>.txt``. Videos without a label
    file are unlabelled (their clips carry no ``gt_labels``).

    Args:
        labels_dir (str): Label folder, relative to ``data_root`` or
            absolute. Defaults to 'labels'.
        **kwargs: See :class:`BaseVideoDataset`.
    """

    EXPECTED_TREE = _MODULE_DOC

    def __init__(self, labels_dir: str = 'labels', **kwargs) -> None:
        self.labels_dir = labels_dir
        super().__init__(**kwargs)

    def _split_folder(self, split: str) -> str:
        root = self.data_root
        split_dirs = [d for d in ('train', 'test')
                      if osp.isdir(osp.join(root, d))]
        if split_dirs:
            self.extra_metainfo.update(layout='train/test')
            folder = osp.join(root, split)
            if not osp.isdir(folder):
                raise self.missing_data_error(
                    f'found {split_dirs} but no {split}/ folder in {root!r}.')
            return folder
        self.extra_metainfo.update(layout='single folder (test)')
        if split == 'train':
            raise self.missing_data_error(
                f'{root!r} has no train/ folder, so it is used as a test set '
                'only; add train/ with normal footage to train on it.')
        return root

    def list_videos(self, split: str) -> List[VideoEntry]:
        folder = self._split_folder(split)
        labels_dir = osp.join(self.data_root, self.labels_dir)
        sources, images = [], []
        for entry in list_folder(folder):
            path = osp.join(folder, entry)
            if osp.abspath(path) == osp.abspath(labels_dir):
                continue
            if osp.isdir(path):
                sources.append(self.frame_folder(path))
            elif entry.lower().endswith(VIDEO_EXTENSIONS):
                sources.append(self.video_file(path))
            elif entry.lower().endswith(IMAGE_EXTENSIONS):
                images.append(entry)
        if images:
            raise UserInputError(
                f'{folder} holds image files directly ({images[:3]} ...); '
                'expected one subfolder of frames per video. Move the frames '
                'into a subfolder named after the video.')
        if not sources:
            raise self.missing_data_error(
                f'no video files ({" ".join(VIDEO_EXTENSIONS)}) or frame '
                f'folders in {folder}.')
        entries = [(s.name, s, self._labels_of(labels_dir, s.name))
                   for s in sources]
        unlabelled = [n for n, _, lab in entries if lab is None]
        if split == 'test' and len(unlabelled) < len(entries) and unlabelled:
            print_log(
                f'VideoFolderDataset: test videos {unlabelled} have no label '
                f'file in {labels_dir}; they cannot enter frame-level '
                'metrics.',
                logger='current', level=logging.WARNING)
        self.extra_metainfo.update(
            label_source=labels_dir if len(unlabelled) < len(entries) else
            None)
        return entries

    @staticmethod
    def _labels_of(labels_dir: str, name: str) -> Optional[object]:
        for ext in ('.npy', '.txt'):
            path = osp.join(labels_dir, name + ext)
            check_link(path)
            if osp.isfile(path):
                return load_label_file(path)
        return None
