import os.path as osp
import sys
import types

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from cbad.datasets import PackTubeInputs, TubeDataset
from cbad.proposals import DEFAULT_ATTRIBUTES, TubeExtractor
from cbad.registry import DATASETS, MODELS, register_all_modules
from cbad.structures import window_starts

register_all_modules()
CLIP_LEN, STRIDE, CROP = 8, 4, 16
# Walkers of the synthetic scene move 0.5-1.5 px/frame: 'or' also keeps
# the slow ones that the background model sees but the flow barely does.
TUBES = dict(proposer=dict(type='BackgroundMotionProposer', combine='or',
                           min_area=20), crop_size=CROP)
VIDEOS = dict(type='SyntheticDataset', split='train', clip_len=CLIP_LEN,
              stride=STRIDE, val_ratio=0.25,
              scene_kwargs=dict(num_videos=3, num_frames=32))


@pytest.fixture(scope='module')
def tubes():
    return DATASETS.build(dict(type='TubeDataset', dataset=VIDEOS,
                               tubes=TUBES,
                               pipeline=[dict(type='PackTubeInputs')]))


def test_every_tube_is_a_sample_with_its_facts(tubes):
    assert len(tubes) > 9
    meta = tubes.metainfo
    assert meta['num_tubes'] == len(tubes)
    assert (meta['split'], meta['clip_len'], meta['stride']) == ('train',
                                                                CLIP_LEN,
                                                                STRIDE)
    assert meta['videos_from'] == 'SyntheticDataset' and meta[
        'num_videos'] == 3
    speed = DEFAULT_ATTRIBUTES.index('speed_mean')
    for i in range(len(tubes)):
        info = tubes.get_data_info(i)
        assert info['crops'].shape == (CLIP_LEN, CROP, CROP)
        assert info['crops'].dtype == np.uint8
        assert info['attributes'].shape == (len(DEFAULT_ATTRIBUTES), )
        ids = np.asarray(info['frame_indices'])
        start = ids[0]
        np.testing.assert_array_equal(
            ids, np.minimum(start + np.arange(CLIP_LEN),
                            info['num_frames'] - 1))
        assert start in window_starts(info['num_frames'], CLIP_LEN, STRIDE)
        assert info['track_id'] >= 0
        assert info['motion_q'] == pytest.approx(info['attributes'][speed])
        assert info['video'].startswith('train_')


def test_motion_groups_are_equal_count_groups_of_tube_speed(tubes):
    infos = [tubes.get_data_info(i) for i in range(len(tubes))]
    q = np.array([d['motion_q'] for d in infos])
    groups = np.array([d['motion_group'] for d in infos])
    counts = np.bincount(groups, minlength=3)
    assert len(counts) == 3 and counts.max() - counts.min() <= 1
    for g in range(2):  # slower groups first
        assert q[groups == g].max() <= q[groups == g + 1].min()


def test_tubes_are_the_ones_the_detector_cuts(tubes):
    # the same extractor settings on the frames LoadClipFrames(to_gray=True)
    # gives the detector at test time produce the same tubes
    videos = DATASETS.build(dict(
        VIDEOS, sample_unit='video', test_mode=True,
        pipeline=[dict(type='LoadClipFrames', to_gray=True),
                  dict(type='PackClipInputs')]))
    extractor = TubeExtractor(clip_len=CLIP_LEN, stride=STRIDE, **TUBES)
    infos = [tubes.get_data_info(i) for i in range(len(tubes))]
    for v in range(len(videos)):
        item = videos[v]
        name = item['data_samples'].video
        video = extractor(item['inputs'][0].numpy())
        mine = [d for d in infos if d['video'] == name]
        assert len(mine) == len(video)
        for info, crops, ids in zip(mine, video.crops, video.track_ids):
            np.testing.assert_array_equal(info['crops'], crops)
            assert info['track_id'] == ids


def test_pack_tube_inputs_feeds_the_detector_loss(tubes):
    item = tubes[0]
    info = tubes.get_data_info(0)
    assert item['inputs'].shape == (1, CLIP_LEN, CROP, CROP)
    assert item['inputs'].dtype == torch.uint8
    np.testing.assert_array_equal(item['inputs'][0].numpy(), info['crops'])
    sample = item['data_samples']
    for key in PackTubeInputs.meta_keys:
        assert key in sample.metainfo, key
    assert sample.track_id == info['track_id']
    np.testing.assert_array_equal(sample.frame_indices,
                                  info['frame_indices'])
    # a batch of packed tubes trains the tiny object-centric detector
    cfg = Config.fromfile(osp.join(osp.dirname(osp.dirname(__file__)),
                                   'configs', 'objects_tiny.py'))
    model = MODELS.build(cfg.model)
    batch = model.data_preprocessor(
        pseudo_collate([tubes[i] for i in range(6)]), True)
    losses = model(**batch, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())


class _StillSource:
    """A video where nothing moves."""

    def __init__(self, name, num_frames):
        self.name, self.num_frames = name, num_frames

    def read(self, i):
        return np.full((48, 64, 3), 90, np.uint8)

    def read_clip(self, indices):
        return np.stack([self.read(i) for i in indices])


def test_a_split_where_nothing_moves_is_refused(monkeypatch):
    scene = types.ModuleType('cbad.datasets.synthetic_scene')
    scene.synthetic_videos = lambda split, seed=0, num_videos=2, **_: [
        (_StillSource(f'{split}_{v}', 20), None) for v in range(num_videos)]
    monkeypatch.setitem(sys.modules, 'cbad.datasets.synthetic_scene', scene)
    with pytest.raises(ValueError, match='no tube in any of the 2 train'):
        TubeDataset(dataset=dict(VIDEOS, val_ratio=0.0,
                                 scene_kwargs=dict(num_videos=2)),
                    tubes=TUBES)
