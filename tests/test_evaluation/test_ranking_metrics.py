import numpy as np
import pytest
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn import metrics as skm

from cbad.evaluation.functional import (average_precision, equal_error_rate,
                                        roc_auc, roc_curve)


def _random_case(seed, n=300):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    # Rounded scores: many ties, some across classes.
    scores = np.round(rng.normal(size=n) + 0.8 * labels, 1)
    return scores, labels


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_roc_auc_and_ap_match_sklearn_with_ties(seed):
    scores, labels = _random_case(seed)
    assert np.unique(scores).size < scores.size  # ties present
    assert roc_auc(scores, labels) == pytest.approx(
        skm.roc_auc_score(labels, scores), abs=1e-12)
    assert average_precision(scores, labels) == pytest.approx(
        skm.average_precision_score(labels, scores), abs=1e-12)


@pytest.mark.parametrize('seed', [0, 3])
def test_roc_curve_matches_sklearn(seed):
    scores, labels = _random_case(seed)
    fpr, tpr, thr = roc_curve(scores, labels)
    ref_fpr, ref_tpr, ref_thr = skm.roc_curve(
        labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, ref_fpr)
    np.testing.assert_allclose(tpr, ref_tpr)
    np.testing.assert_array_equal(thr[1:], ref_thr[1:])
    assert thr[0] == np.inf


@pytest.mark.parametrize('seed', [0, 4, 5])
def test_eer_matches_brentq_on_sklearn_roc(seed):
    scores, labels = _random_case(seed)
    eer, threshold = equal_error_rate(scores, labels)
    fpr, tpr, thr = skm.roc_curve(labels, scores, drop_intermediate=False)
    ref = brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0)
    assert eer == pytest.approx(ref, abs=1e-9)
    # The threshold is the first ROC point with miss rate <= false alarms.
    i = np.flatnonzero(1 - tpr <= fpr)[0]
    assert threshold == thr[i]


def test_hand_computed_tiny_cases():
    # Pairs (pos, neg): (0.8>0.1) (0.8>0.4) (0.35<0.4) (0.35>0.1) -> 3/4.
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    # One tie between classes counts one half: (1 + 0.5) / 2.
    assert roc_auc([0.5, 0.5, 0.9], [0, 1, 1]) == 0.75
    assert roc_auc([0, 1], [0, 1]) == 1.0
    assert roc_auc([1, 0], [0, 1]) == 0.0
    # Ranked 0.8(+), 0.4(-), 0.35(+), 0.1(-): AP = 0.5*1 + 0.5*(2/3).
    assert average_precision([0.1, 0.4, 0.35, 0.8],
                             [0, 0, 1, 1]) == pytest.approx(5 / 6)
    # Perfect separation: EER 0 at the lowest abnormal score.
    assert equal_error_rate([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == (0.0, 0.8)
    # Reversed: every threshold errs; the crossing is at 1.
    assert equal_error_rate([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])[0] == 1.0


def test_one_class_and_bad_input_raise():
    with pytest.raises(ValueError, match='both normal'):
        roc_auc([0.1, 0.2], [0, 0])
    with pytest.raises(ValueError, match='only abnormal'):
        equal_error_rate([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match='at least one abnormal'):
        average_precision([0.1, 0.2], [0, 0])
    assert average_precision([0.1, 0.2], [1, 1]) == 1.0
    with pytest.raises(ValueError, match='finite'):
        roc_auc([0.1, np.nan], [0, 1])
    with pytest.raises(ValueError, match='same length'):
        roc_auc([0.1, 0.2, 0.3], [0, 1])
    with pytest.raises(ValueError, match='0 \\(normal\\) or 1'):
        roc_auc([0.1, 0.2], [0, 2])
