import sys
import types

import numpy as np
import pytest

from cbad.datasets import SyntheticDataset

SCENE = dict(num_videos=2, num_frames=40, height=32, width=48)


class StubSource:
    """Frames whose value is the frame id (stands in for the generator)."""

    def __init__(self, name, num_frames):
        self.name, self.num_frames = name, num_frames

    def read(self, i):
        return np.full((8, 8, 3), i, np.uint8)

    def read_clip(self, indices):
        return np.stack([self.read(i) for i in indices])


@pytest.fixture
def stub_scene(monkeypatch):
    calls = []

    def synthetic_videos(split, seed=0, num_videos=2, num_frames=12):
        calls.append((split, seed))
        labels = None
        if split == 'test':
            labels = (np.arange(num_frames) >= num_frames // 2).astype(
                np.uint8)
        return [(StubSource(f'{split}_{v:02d}', num_frames), labels)
                for v in range(num_videos)]

    module = types.ModuleType('cbad.datasets.synthetic_scene')
    module.synthetic_videos = synthetic_videos
    monkeypatch.setitem(sys.modules, 'cbad.datasets.synthetic_scene', module)
    return calls


def test_wrapper_contract_with_stub_generator(stub_scene):
    val = SyntheticDataset(split='val', seed=3, clip_len=4, val_ratio=0.3,
                           scene_kwargs=dict(num_videos=5))
    assert stub_scene == [('train', 3)]  # val is carved from train videos
    assert list(val.videos) == ['train_01', 'train_03']
    test = SyntheticDataset(split='test', clip_len=4, stride=4,
                            pipeline=[dict(type='LoadClipFrames'),
                                      dict(type='PackClipInputs')])
    assert test.metainfo['label_source'] == 'generator'
    out = test[2]  # frames 8..11 of test_00, its abnormal half
    assert out['inputs'].shape == (3, 4, 8, 8)
    assert out['data_samples'].gt_labels.tolist() == [1, 1, 1, 1]


def test_real_generator_builds_labelled_test_clips():
    pytest.importorskip('cbad.datasets.synthetic_scene')
    test = SyntheticDataset(split='test', clip_len=8, scene_kwargs=SCENE,
                            pipeline=[dict(type='LoadClipFrames'),
                                      dict(type='PackClipInputs')])
    assert list(test.videos.values()) == [40, 40]
    assert all('gt_labels' in info for info in test.data_list)
    assert test[0]['inputs'].shape == (3, 8, 32, 48)
    labels = np.concatenate(list(test.video_labels().values()))
    assert 0 < labels.sum() < labels.size
    train = SyntheticDataset(split='train', clip_len=8, scene_kwargs=SCENE)
    assert 'gt_labels' not in train.data_list[0]
