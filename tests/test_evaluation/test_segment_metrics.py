import numpy as np
import pytest

from cbad.evaluation.functional import (segment_prf, window_labels,
                                        window_scores)


def test_window_scores_follow_clip_index_layout():
    scores = np.arange(10, dtype=float)
    # clip_len 4, stride 3 over 10 frames: starts 0, 3, 6 (6 reaches the end).
    np.testing.assert_allclose(window_scores(scores, 4, 3), [1.5, 4.5, 7.5])
    # stride 4: starts 0, 4, then an end-aligned window at 6.
    np.testing.assert_allclose(window_scores(scores, 4, 4), [1.5, 5.5, 7.5])


def test_window_scores_short_video_counts_padding_once():
    with pytest.warns(UserWarning):
        out = window_scores([1., 2., 6.], 8, 4)
    np.testing.assert_allclose(out, [3.0])


def test_window_labels_majority_and_any():
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    # Windows of 4 every 2: [0..3], [2..5], [4..7].
    np.testing.assert_array_equal(
        window_labels(labels, 4, 2, 'majority'), [0, 1, 1])
    np.testing.assert_array_equal(window_labels(labels, 4, 2, 'any'),
                                  [1, 1, 1])
    # Exactly half abnormal is not a majority.
    np.testing.assert_array_equal(
        window_labels([0, 0, 1, 1], 4, 4, 'majority'), [0])
    with pytest.raises(ValueError, match='rule'):
        window_labels(labels, 4, 2, 'all')


def test_segment_prf_hand_computed():
    scores = [0.9, 0.8, 0.3, 0.7, 0.1, 0.5]
    labels = [1, 1, 1, 0, 0, 0]
    # >= 0.5: predicted 0.9, 0.8, 0.7, 0.5 -> tp 2, fp 2, fn 1.
    out = segment_prf(scores, labels, 0.5)
    assert out['precision'] == pytest.approx(0.5)
    assert out['recall'] == pytest.approx(2 / 3)
    assert out['f1'] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    # Threshold is inclusive: the 0.3 frame becomes a hit at 0.3.
    assert segment_prf(scores, labels, 0.3)['recall'] == 1.0


def test_segment_prf_zero_division_is_zero():
    assert segment_prf([0.1, 0.2], [1, 0], 0.9) == dict(
        precision=0.0, recall=0.0, f1=0.0)
    assert segment_prf([0.1, 0.2], [0, 0], 0.0) == dict(
        precision=0.0, recall=0.0, f1=0.0)
    with pytest.raises(ValueError, match='threshold'):
        segment_prf([0.1], [1], float('nan'))
