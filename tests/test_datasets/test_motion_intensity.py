"""Motion intensity q (eq. 8), its groups, the disk cache and the dataset
option, on in-memory videos of a textured patch moving at known speeds."""
import cv2
import numpy as np
import pytest

from cbad.datasets import (BaseVideoDataset, assign_motion_groups,
                           compute_motion_intensity)
from cbad.datasets import motion_intensity as mi
from cbad.datasets.sources import FrameSource

HEIGHT, WIDTH = 40, 64


class ArraySource(FrameSource):
    """Frames held in memory, shape (num_frames, H, W, 3) uint8."""

    def __init__(self, name, frames):
        self.name, self.frames = name, frames

    @property
    def num_frames(self):
        return len(self.frames)

    def read(self, index):
        return self.frames[self._check_index(index)]


def patch_video(speed, num_frames=12, seed=0):
    """A smooth random 16x16 patch moving ``speed`` px right per frame."""
    rng = np.random.default_rng(seed)
    patch = cv2.GaussianBlur(rng.integers(0, 255, (16, 16), np.uint8),
                             (5, 5), 1.5)
    frames = np.zeros((num_frames, HEIGHT, WIDTH, 3), np.uint8)
    for t in range(num_frames):
        x = 4 + speed * t
        frames[t, 12:28, x:x + 16] = patch[..., None]
    return frames


class MovingPatchDataset(BaseVideoDataset):
    """Train videos whose patch speeds are ``SPEEDS`` px/frame."""
    EXPECTED_TREE = 'generated in memory'
    REQUIRES_DATA_ROOT = False
    SPEEDS = (0, 1, 3)

    def list_videos(self, split):
        return [(f'v{i}', ArraySource(f'v{i}', patch_video(s, seed=i)), None)
                for i, s in enumerate(self.SPEEDS)]


def fake_flow(prev_grey, next_grey, flow_params=None, noise_floor=0.0):
    """Stand-in flow: change of mean grey level (exact, hand-checkable)."""
    return abs(float(next_grey.mean()) - float(prev_grey.mean()))


def flat_infos(values, windows):
    """Clip infos of one video whose frame t is flat at grey ``values[t]``."""
    frames = np.stack([np.full((HEIGHT, WIDTH, 3), v, np.uint8)
                       for v in values])
    source = ArraySource('flat', frames)
    return [dict(video='flat', frame_indices=np.asarray(w), source=source,
                 num_frames=len(values)) for w in windows]


@pytest.mark.parametrize('shift', [1, 2, 3])
def test_flow_l1_measures_a_known_shift(shift):
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (60, 90), np.uint8),
                               (7, 7), 2)
    # The whole view pans right by ``shift`` px: |u| + |v| = shift at every
    # pixel, so the mean is ``shift`` (a little less at the borders).
    before = texture[10:50, 10:74]
    after = texture[10:50, 10 - shift:74 - shift]
    assert mi.flow_l1(before, after) == pytest.approx(shift, rel=0.05)
    assert mi.flow_l1(before, before) < 0.01
    # A floor above the shift zeroes every pixel; one below keeps them all.
    assert mi.flow_l1(before, after, noise_floor=shift + 1) == 0
    assert mi.flow_l1(before, after, noise_floor=shift / 2) == \
        pytest.approx(mi.flow_l1(before, after), rel=0.02)


def test_q_is_mean_of_pair_flows_each_computed_once(monkeypatch, tmp_path):
    calls = []

    def counting(a, b, flow_params=None, noise_floor=0.0):
        calls.append(1)
        return fake_flow(a, b)

    monkeypatch.setattr(mi, 'flow_l1', counting)
    # Frame grey levels 0, 10, 30, 60, 100: pair flows 10, 20, 30, 40.
    infos = flat_infos([0, 10, 30, 60, 100],
                       [[0, 1, 2], [1, 2, 3], [2, 3, 4], [4, 4, 4],
                        [3, 4, 4]])
    q, cache_file = compute_motion_intensity(
        infos, flow_size=None, use_cache=False, progress=False)
    # Repeated (padded) frames add no pair; a clip with none has q = 0.
    np.testing.assert_allclose(q, [15, 25, 35, 0, 40])
    assert len(calls) == 4  # 4 distinct pairs, not 5 clips x 2 pairs
    assert cache_file == ''


def test_second_call_reads_the_cache(monkeypatch, tmp_path):
    infos = flat_infos([0, 10, 30, 60], [[0, 1, 2], [1, 2, 3]])
    monkeypatch.setattr(mi, 'flow_l1', fake_flow)
    kw = dict(flow_size=(16, 16), cache_dir=str(tmp_path), progress=False)
    q, path = compute_motion_intensity(infos, **kw)
    assert path.startswith(str(tmp_path)) and path.endswith('.npz')

    def fail(*args, **kwargs):
        raise AssertionError('flow recomputed despite the cache')

    monkeypatch.setattr(mi, 'flow_l1', fail)
    q2, path2 = compute_motion_intensity(infos, **kw)
    assert path2 == path
    np.testing.assert_array_equal(q, q2)
    # Anything q depends on changes the key: a new computation.
    for change in (dict(flow_size=(8, 8)), dict(cache_key=dict(stride=2)),
                   dict(flow_params=dict(winsize=9)), dict(noise_floor=0.3)):
        with pytest.raises(AssertionError, match='recomputed'):
            compute_motion_intensity(infos, **dict(kw, **change))
    with pytest.raises(AssertionError, match='recomputed'):
        compute_motion_intensity(infos[:1], **kw)


def test_default_cache_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv('CBAD_CACHE_DIR', str(tmp_path))
    assert mi.default_cache_dir() == str(tmp_path / 'motion')


def test_groups_are_terciles_or_equal_width():
    groups, thresholds = assign_motion_groups(np.arange(9.0))
    assert groups.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    np.testing.assert_allclose(thresholds, [8 / 3, 16 / 3])
    groups, thresholds = assign_motion_groups(
        np.array([0, 1, 2, 10.0]), num_groups=2, method='uniform')
    assert groups.tolist() == [0, 0, 0, 1] and thresholds.tolist() == [5]
    with pytest.raises(ValueError, match='method must be one of'):
        assign_motion_groups(np.arange(3.0), method='kmeans')


def test_dataset_option_orders_groups_by_speed(tmp_path):
    kw = dict(clip_len=4, stride=2, val_ratio=0,
              pipeline=[dict(type='LoadClipFrames'),
                        dict(type='PackClipInputs')])
    motion = dict(flow_size=None, cache_dir=str(tmp_path), progress=False)
    train = MovingPatchDataset(split='train', motion_groups=motion, **kw)
    q = {v: [] for v in ('v0', 'v1', 'v2')}
    for info in train.data_list:
        q[info['video']].append(info['motion_q'])
        assert isinstance(info['motion_group'], int)
    assert max(q['v0']) < 0.01 < min(q['v1'])  # static patch: no motion
    assert max(q['v1']) < min(q['v2'])
    # 5 clips per video, 15 in all: terciles put each speed in its group.
    assert [info['motion_group'] for info in train.data_list] == \
        [0] * 5 + [1] * 5 + [2] * 5
    assert train.metainfo['motion_group_counts'] == [5, 5, 5]
    assert len(train.metainfo['motion_thresholds']) == 2
    sample = train[7]['data_samples']
    assert sample.motion_group == 1
    assert sample.motion_q == pytest.approx(train.data_list[7]['motion_q'])
    test = MovingPatchDataset(split='test', motion_groups=motion, **kw)
    assert 'motion_group' not in test[0]['data_samples']
    assert 'motion_q' not in test.data_list[0]


def test_unknown_option_key_is_rejected():
    with pytest.raises(ValueError, match='Unknown motion_groups keys'):
        MovingPatchDataset(motion_groups=dict(groups=3))
