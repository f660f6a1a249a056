import hashlib
import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from cbad.datasets.synthetic_scene import (ANOMALY_KINDS, SyntheticVideoSource,
                                           synthetic_videos)


@pytest.fixture(scope='module')
def default_test_split():
    """The default test split, every frame rendered once: (videos, frames)."""
    videos = synthetic_videos('test', seed=0)
    frames = [src.read_clip(range(src.num_frames)) for src, _ in videos]
    return videos, frames


def digest(frames: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(frames).tobytes()).hexdigest()


def test_defaults_shapes_and_dtypes():
    train = synthetic_videos('train')
    test = synthetic_videos('test')
    assert len(train) == 8 and len(test) == 6
    for src, _ in train + test:
        assert isinstance(src, SyntheticVideoSource)
        assert src.num_frames == 120
    src = test[0][0]
    frame = src.read(5)
    assert frame.shape == (120, 160, 3) and frame.dtype == np.uint8
    # Grey content in a BGR frame: all three channels equal.
    np.testing.assert_array_equal(frame[..., 0], frame[..., 2])
    clip = src.read_clip(np.array([3, 5, 5, 0]))
    assert clip.shape == (4, 120, 160, 3) and clip.dtype == np.uint8
    np.testing.assert_array_equal(clip[1], frame)
    np.testing.assert_array_equal(clip[1], clip[2])
    assert [s.name for s, _ in test] == [f'test_{i:02d}' for i in range(6)]


def test_sizes_are_overridable():
    videos = synthetic_videos(
        'test', num_videos=2, num_frames=40, height=64, width=96)
    assert len(videos) == 2
    src, labels = videos[0]
    assert src.read_clip([0, 39]).shape == (2, 64, 96, 3)
    assert labels.shape == (40, )


def test_train_is_normal_and_unlabelled():
    for src, labels in synthetic_videos('train', num_videos=3, num_frames=30):
        assert labels is None
        assert src.events == []
        assert all(t.behaviour == 'walk' for t in src.tracks)
        assert len(src.tracks) > 0  # pedestrians are present


def test_same_seed_same_pixels_other_seed_differs():
    kwargs = dict(num_videos=2, num_frames=30)
    a = synthetic_videos('test', seed=3, **kwargs)
    b = synthetic_videos('test', seed=3, **kwargs)
    c = synthetic_videos('test', seed=4, **kwargs)
    for (src_a, lab_a), (src_b, lab_b) in zip(a, b):
        np.testing.assert_array_equal(lab_a, lab_b)
        np.testing.assert_array_equal(
            src_a.read_clip(range(30)), src_b.read_clip(range(30)))
        assert src_a.events == src_b.events
    assert not np.array_equal(a[0][0].read(10), c[0][0].read(10))
    # Train and test are different videos of the same scene.
    train = synthetic_videos('train', seed=3, **kwargs)
    assert not np.array_equal(a[0][0].read(10), train[0][0].read(10))


def test_same_pixels_in_another_process():
    src = synthetic_videos('test', seed=1, num_videos=1, num_frames=24)[0][0]
    code = ('from cbad.datasets.synthetic_scene import synthetic_videos\n'
            'import hashlib, numpy as np\n'
            "s = synthetic_videos('test', seed=1, num_videos=1, "
            'num_frames=24)[0][0]\n'
            'print(hashlib.sha256(np.ascontiguousarray('
            's.read_clip(range(24))).tobytes()).hexdigest())')
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         check=True)
    assert out.stdout.strip() == digest(src.read_clip(range(24)))


def test_pickle_round_trip_gives_identical_frames():
    src = synthetic_videos('test', seed=2, num_videos=1)[0][0]
    blob = pickle.dumps(src)
    assert len(blob) < 200_000  # trajectories only, no rendered frames
    copy = pickle.loads(blob)
    assert copy.name == src.name and copy.num_frames == src.num_frames
    assert copy.events == src.events
    indices = [0, 17, 64, 119]
    np.testing.assert_array_equal(
        copy.read_clip(indices), src.read_clip(indices))


def test_labels_have_both_classes_and_match_events(default_test_split):
    videos, _ = default_test_split
    for src, labels in videos:
        assert labels.shape == (src.num_frames, ) and labels.dtype == np.uint8
        assert set(np.unique(labels)) == {0, 1}, src.name
        from_events = np.zeros_like(labels)
        for kind, start, end in src.events:
            assert kind in ANOMALY_KINDS and 0 <= start < end <= 120
            from_events[start:end] = 1
        np.testing.assert_array_equal(labels, from_events)
    pooled = np.concatenate([labels for _, labels in videos])
    assert 0.3 <= pooled.mean() <= 0.6


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_every_anomaly_kind_appears(seed):
    videos = synthetic_videos('test', seed=seed)
    kinds = {kind for src, _ in videos for kind, _, _ in src.events}
    assert kinds == set(ANOMALY_KINDS)


def test_anomaly_kinds_can_be_chosen():
    videos = synthetic_videos(
        'test',
        num_videos=3,
        num_frames=60,
        anomaly_kinds=['vehicle', 'loitering'])
    kinds = {kind for src, _ in videos for kind, _, _ in src.events}
    assert kinds == {'vehicle', 'loitering'}
    for _, labels in videos:
        assert 0 < labels.mean() < 1


def trivial_scores(frames: np.ndarray, grid: int) -> np.ndarray:
    """Per-frame mean absolute frame difference; with ``grid > 1`` the max
    over a grid x grid split of the frame of the cell means."""
    grey = frames[..., 0].astype(np.float32)
    diff = np.abs(np.diff(grey, axis=0))
    diff = np.concatenate([diff[:1], diff])  # T x H x W
    T, H, W = diff.shape
    cells = diff[:, :H // grid * grid, :W // grid * grid].reshape(
        T, grid, H // grid, grid, W // grid).mean(axis=(2, 4))
    return cells.reshape(T, -1).max(axis=1)


@pytest.mark.parametrize('grid', [1, 4])
def test_trivial_detector_is_neither_useless_nor_perfect(
        default_test_split, grid):
    videos, frames = default_test_split
    labels = np.concatenate([labels for _, labels in videos])
    scores = np.concatenate([trivial_scores(f, grid) for f in frames])
    auc = roc_auc_score(labels, scores)
    assert 0.5 < auc < 0.99


def test_user_errors_say_what_was_expected():
    with pytest.raises(ValueError, match='split must be one of'):
        synthetic_videos('val')
    with pytest.raises(ValueError, match='anomaly_kinds'):
        synthetic_videos('test', anomaly_kinds=['meteor'])
    with pytest.raises(ValueError, match='num_frames >= 16'):
        synthetic_videos('test', num_frames=8)
    with pytest.raises(ValueError, match='num_videos'):
        synthetic_videos('train', num_videos=0)
    src = synthetic_videos('train', num_videos=1, num_frames=10)[0][0]
    with pytest.raises(IndexError, match=r'\[0, 10\)'):
        src.read(10)
    with pytest.raises(IndexError):
        src.read_clip([0, -1])
