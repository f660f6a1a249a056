import numpy as np
import pytest

from cbad.evaluation.functional import (clip_to_frame_scores,
                                        minmax_normalize_per_video)

# Video of 6 frames, windows of 4 every 2: [0..3], [2..5].
FRAMES = [np.arange(0, 4), np.arange(2, 6)]
SCORES = [np.array([1., 1., 1., 1.]), np.array([3., 3., 5., 5.])]


def test_mean_max_center_on_overlapping_windows():
    mean = clip_to_frame_scores(FRAMES, SCORES, 6, reduce='mean')
    np.testing.assert_allclose(mean, [1, 1, 2, 2, 5, 5])
    peak = clip_to_frame_scores(FRAMES, SCORES, 6, reduce='max')
    np.testing.assert_allclose(peak, [1, 1, 3, 3, 5, 5])
    # Centres 1.5 and 3.5: frame 2 is nearer the first, frame 3 the second.
    centre = clip_to_frame_scores(FRAMES, SCORES, 6, reduce='center')
    np.testing.assert_allclose(centre, [1, 1, 1, 3, 5, 5])


def test_end_gives_each_frame_the_window_ending_soonest_after_it():
    # Ends 3 and 5: frames 0-3 lie in the first window, 4-5 only in the
    # second; frames 2-3 are covered by both and take the first's evidence.
    end = clip_to_frame_scores(FRAMES, SCORES, 6, reduce='end')
    np.testing.assert_allclose(end, [1, 1, 1, 1, 5, 5])
    # A predictor of each window's last frame at stride 1 (FFP): frame f
    # from the 3rd on gets the window ending at f, the first two frames the
    # first window's score; order free.
    frames = [np.arange(s, s + 3) for s in range(4)]
    scores = [np.full(3, 10.0 + s) for s in range(4)]
    out = clip_to_frame_scores(frames, scores, 6, reduce='end')
    np.testing.assert_allclose(out, [10, 10, 10, 11, 12, 13])
    rev = clip_to_frame_scores(frames[::-1], scores[::-1], 6, 'end')
    np.testing.assert_allclose(rev, out)


def test_center_ties_are_averaged_and_order_free():
    # Windows [0..2] and [2..4] (centres 1 and 3): frame 2 is equidistant.
    frames = [np.arange(3), np.arange(2, 5)]
    scores = [np.full(3, 2.0), np.full(3, 4.0)]
    out = clip_to_frame_scores(frames, scores, 5, reduce='center')
    np.testing.assert_allclose(out, [2, 2, 3, 4, 4])
    rev = clip_to_frame_scores(frames[::-1], scores[::-1], 5, 'center')
    np.testing.assert_allclose(rev, out)


def test_padding_repeat_counts_once():
    # 3-frame video in one 5-frame clip: frame 2 repeated three times.
    frames = [np.array([0, 1, 2, 2, 2])]
    scores = [np.array([1., 2., 3., 6., 9.])]
    np.testing.assert_allclose(
        clip_to_frame_scores(frames, scores, 3, 'mean'), [1, 2, 6])
    np.testing.assert_allclose(
        clip_to_frame_scores(frames, scores, 3, 'max'), [1, 2, 9])
    # A second window must weigh the padded frame once, not three times.
    frames.append(np.array([1, 2]))
    scores.append(np.array([0., 0.]))
    np.testing.assert_allclose(
        clip_to_frame_scores(frames, scores, 3, 'mean'), [1, 1, 3])


def test_uncovered_frames_are_named():
    with pytest.raises(ValueError, match=r'frames \[6, 7\]'):
        clip_to_frame_scores(FRAMES, SCORES, 8)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match='outside'):
        clip_to_frame_scores(FRAMES, SCORES, 5)
    with pytest.raises(ValueError, match='reduce'):
        clip_to_frame_scores(FRAMES, SCORES, 6, reduce='median')
    with pytest.raises(ValueError, match='NaN'):
        clip_to_frame_scores([np.arange(2)], [np.array([0., np.nan])], 2)
    with pytest.raises(ValueError, match='clip 0'):
        clip_to_frame_scores([np.arange(3)], [np.zeros(2)], 3)


def test_minmax_normalize_per_video():
    out = minmax_normalize_per_video({'a': [2., 4., 3.], 'b': [5., 5.]})
    np.testing.assert_allclose(out['a'], [0, 1, 0.5])
    np.testing.assert_array_equal(out['b'], [0, 0])  # constant -> zeros
    listed = minmax_normalize_per_video([[1., 3.], [0., 10., 5.]])
    np.testing.assert_allclose(listed[1], [0, 1, 0.5])
