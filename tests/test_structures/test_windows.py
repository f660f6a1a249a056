"""cbad.structures.windows.window_evidence: one sample's windows and the
evidence each frame gets in them."""
import numpy as np
import pytest

from cbad.structures import clip_to_frame_scores, window_evidence


def test_one_window_with_per_frame_scores():
    windows, evidence = window_evidence(np.arange(4), np.array([1., 2, 3, 4]))
    assert windows.shape == evidence.shape == (1, 4)
    np.testing.assert_array_equal(evidence[0], [1, 2, 3, 4])


def test_one_window_with_one_score_repeats_it():
    for score in (5.0, np.array([5.0])):
        windows, evidence = window_evidence(np.arange(3), score)
        np.testing.assert_array_equal(evidence, [[5, 5, 5]])


def test_whole_video_per_window_and_per_frame_scores():
    frames = np.array([[0, 1, 2], [2, 3, 4]])
    _, evidence = window_evidence(frames, np.array([1.0, 3.0]))
    np.testing.assert_array_equal(evidence, [[1, 1, 1], [3, 3, 3]])
    # frame 2 is in both windows: the mean of 1 and 3
    scores = clip_to_frame_scores(list(frames), list(evidence), 5)
    np.testing.assert_allclose(scores, [1, 1, 2, 3, 3])
    per_frame = np.array([[1., 2, 3], [4, 5, 6]])
    _, evidence = window_evidence(frames, per_frame)
    np.testing.assert_array_equal(evidence, per_frame)


def test_scores_that_fit_nothing_are_refused():
    with pytest.raises(ValueError, match='3 scores fit neither the 2'):
        window_evidence(np.zeros((2, 4)), np.zeros(3))
