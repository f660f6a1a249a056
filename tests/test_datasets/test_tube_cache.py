"""TubeDataset's on-disk tube cache: the same samples, no recomputation,
a new entry whenever the video, the settings or the code differ."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from cbad.datasets import TubeDataset
from cbad.datasets import tube_cache
from cbad.registry import register_all_modules

register_all_modules()
HEIGHT, WIDTH, SIDE = 72, 96, 14
TUBES = dict(proposer=dict(type='BackgroundMotionProposer', combine='and',
                           min_area=20), crop_size=16)


def _write_videos(root, count=2, num_frames=30):
    """Frame folders of a textured square crossing a textured scene."""
    for v in range(count):
        rng = np.random.default_rng(v)
        background = cv2.GaussianBlur(
            rng.integers(0, 120, (HEIGHT, WIDTH)).astype(np.uint8), (5, 5),
            0)
        texture = rng.integers(170, 256, (SIDE, SIDE)).astype(np.uint8)
        folder = osp.join(root, 'train', f'cam{v}')
        os.makedirs(folder)
        for t in range(num_frames):
            frame = background.copy()
            x = 4 + 2 * t
            frame[20 + 10 * v:34 + 10 * v, x:x + SIDE] = texture
            cv2.imwrite(osp.join(folder, f'{t:03d}.png'), frame)


def _dataset(root, cache, **kwargs):
    return TubeDataset(
        dataset=dict(type='VideoFolderDataset', data_root=str(root),
                     split='train', clip_len=8, stride=4, val_ratio=0.0),
        tubes=dict(TUBES, **kwargs.pop('tubes', {})), cache_dir=str(cache),
        **kwargs)


def _same(a, b):
    assert len(a) == len(b) > 0
    for x, y in zip(a.data_list, b.data_list):
        assert x.keys() == y.keys()
        for key in x:
            np.testing.assert_array_equal(x[key], y[key])


def test_second_build_reads_the_cache_and_gives_the_same_tubes(
        tmp_path, monkeypatch):
    _write_videos(tmp_path / 'data')
    cache = tmp_path / 'cache'
    first = _dataset(tmp_path / 'data', cache)
    assert len(os.listdir(cache)) == 2  # one entry per video

    def no_extraction(*args, **kwargs):
        raise AssertionError('the tubes were cut again')

    monkeypatch.setattr(first.extractor.__class__, '__call__', no_extraction)
    _same(first, _dataset(tmp_path / 'data', cache))


def test_new_settings_code_or_frames_make_new_entries(tmp_path,
                                                      monkeypatch):
    _write_videos(tmp_path / 'data')
    cache = tmp_path / 'cache'
    _dataset(tmp_path / 'data', cache)
    _dataset(tmp_path / 'data', cache, tubes=dict(crop_size=24))
    assert len(os.listdir(cache)) == 4
    monkeypatch.setattr(tube_cache, '_code_digest', lambda: 'edited')
    _dataset(tmp_path / 'data', cache)
    assert len(os.listdir(cache)) == 6
    monkeypatch.undo()
    # a frame rewritten in place (size and time change) is a new video
    last = osp.join(tmp_path, 'data', 'train', 'cam0', '029.png')
    cv2.imwrite(last, np.zeros((HEIGHT, WIDTH), np.uint8))
    os.utime(last, ns=(1, 1))
    _dataset(tmp_path / 'data', cache)
    assert len(os.listdir(cache)) == 7


def test_broken_entry_is_recomputed_and_no_cache_writes_nothing(tmp_path):
    _write_videos(tmp_path / 'data', count=1)
    cache = tmp_path / 'cache'
    first = _dataset(tmp_path / 'data', cache)
    (entry, ) = os.listdir(cache)
    with open(cache / entry, 'wb') as f:
        f.write(b'not a zip')
    with pytest.warns(UserWarning, match='unreadable tube cache'):
        again = _dataset(tmp_path / 'data', cache)
    _same(first, again)
    assert np.load(cache / entry)['crops'].shape[0] == len(first)
    _same(first, _dataset(tmp_path / 'data', tmp_path / 'none',
                          use_cache=False))
    assert not osp.exists(tmp_path / 'none')


def test_truncated_entry_is_recomputed(tmp_path):
    _write_videos(tmp_path / 'data', count=1)
    cache = tmp_path / 'cache'
    first = _dataset(tmp_path / 'data', cache)
    (entry, ) = os.listdir(cache)
    data = (cache / entry).read_bytes()
    (cache / entry).write_bytes(data[:len(data) // 2])  # a cut-off write
    with pytest.warns(UserWarning, match='unreadable tube cache'):
        _same(first, _dataset(tmp_path / 'data', cache))
