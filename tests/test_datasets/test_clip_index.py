import numpy as np
import pytest

from cbad.datasets import build_clip_index


def starts(windows):
    return [int(w[0]) for w in windows]


def test_exact_fit_needs_no_extra_window():
    windows = build_clip_index(24, clip_len=8, stride=4)
    assert starts(windows) == [0, 4, 8, 12, 16]
    assert all(w.dtype == np.int64 and w.shape == (8, ) for w in windows)
    np.testing.assert_array_equal(windows[-1], np.arange(16, 24))


def test_last_window_is_aligned_to_the_end():
    windows = build_clip_index(26, clip_len=8, stride=4)
    assert starts(windows) == [0, 4, 8, 12, 16, 18]
    covered = np.unique(np.concatenate(windows))
    np.testing.assert_array_equal(covered, np.arange(26))


def test_clip_len_equal_to_video_gives_one_window():
    windows = build_clip_index(16, clip_len=16, stride=4)
    assert len(windows) == 1
    np.testing.assert_array_equal(windows[0], np.arange(16))


def test_stride_larger_than_clip_still_covers_every_frame():
    windows = build_clip_index(10, clip_len=3, stride=5)
    assert starts(windows) == [0, 5, 7]


def test_short_video_is_padded_with_its_last_frame_and_warns():
    with pytest.warns(UserWarning, match='5 frames, fewer than clip_len=8'):
        windows = build_clip_index(5, clip_len=8, stride=4)
    assert len(windows) == 1
    np.testing.assert_array_equal(windows[0], [0, 1, 2, 3, 4, 4, 4, 4])


def test_single_frame_video():
    with pytest.warns(UserWarning):
        windows = build_clip_index(1, clip_len=4, stride=1)
    np.testing.assert_array_equal(windows[0], [0, 0, 0, 0])


@pytest.mark.parametrize('num_frames', [0, -3])
def test_empty_video_raises(num_frames):
    with pytest.raises(ValueError, match='at least 1 frame'):
        build_clip_index(num_frames, clip_len=4, stride=2)


@pytest.mark.parametrize('clip_len,stride', [(0, 1), (4, 0), (2.5, 1)])
def test_bad_window_arguments_raise(clip_len, stride):
    with pytest.raises(ValueError, match='positive integer'):
        build_clip_index(10, clip_len=clip_len, stride=stride)
