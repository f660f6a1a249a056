"""Checks against the real benchmark files in ../shared/datasets (skipped
when absent). Only folders are listed and label files read: no decoding."""
from pathlib import Path

import numpy as np
import pytest

from cbad.datasets import UCSDPed2Dataset, load_shanghaitech_labels

DATA = Path(__file__).resolve().parents[2] / '..' / 'shared' / 'datasets'
PED2, SHTECH = DATA / 'ped2', DATA / 'shanghaitech'

pytestmark = pytest.mark.realdata

# Clip lengths listed in ../shared/datasets/README.md.
PED2_TRAIN = [120, 150, 150, 180, 180, 150, 150, 120, 180, 180, 180, 180,
              180, 150, 150, 150]
PED2_TEST = [180, 180, 150, 180, 150, 180, 180, 180, 120, 150, 180, 180]


@pytest.mark.skipif(not PED2.is_dir(), reason='real Ped2 data absent')
@pytest.mark.parametrize('label_source', ['m', 'mat'])
def test_ped2_counts_and_labels_match_reference(label_source):
    test = UCSDPed2Dataset(data_root=str(PED2), split='test',
                           label_source=label_source)
    assert list(test.videos) == [f'{i:02d}' for i in range(1, 13)]
    assert list(test.videos.values()) == PED2_TEST
    labels = np.concatenate(list(test.video_labels().values()))
    reference = np.load(PED2 / 'frame_labels.npy')
    np.testing.assert_array_equal(labels, reference)
    assert labels.sum() == 1648
    assert test.metainfo['label_source'] == label_source


@pytest.mark.skipif(not PED2.is_dir(), reason='real Ped2 data absent')
def test_ped2_training_split_counts():
    train = UCSDPed2Dataset(data_root=str(PED2), split='train', val_ratio=0)
    assert list(train.videos.values()) == PED2_TRAIN
    assert sum(train.videos.values()) == 2550


@pytest.mark.skipif(not SHTECH.is_dir(), reason='real ShanghaiTech absent')
def test_shanghaitech_labels_match_reference():
    labels = load_shanghaitech_labels(str(SHTECH))
    assert len(labels) == 107
    assert sum(len(v) for v in labels.values()) == 40791
    np.testing.assert_array_equal(
        np.concatenate(list(labels.values())),
        np.load(SHTECH / 'frame_labels.npy'))
    listed = dict(line.split('\t') for line in
                  (SHTECH / 'test_videos.txt').read_text().splitlines()
                  if line.strip())
    assert {k: len(v) for k, v in labels.items()} == {
        k: int(v) for k, v in listed.items()}
