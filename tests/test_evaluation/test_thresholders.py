import numpy as np
import pytest

from cbad.evaluation.thresholders import (MADThresholder,
                                          PercentileThresholder,
                                          build_thresholder)
from cbad.registry import THRESHOLDERS


def test_mad_threshold_on_known_sample():
    # median 3, |A - 3| = [2, 1, 0, 1, 97] -> MAD 1, delta = 3 + 3 * 1.
    thresholder = MADThresholder(lam=3.0)
    assert thresholder.fit([1, 2, 3, 4, 100]) == 6.0
    assert thresholder.threshold == 6.0
    np.testing.assert_array_equal(
        thresholder([5.9, 6.0, 7.0]), [False, True, True])
    scaled = MADThresholder(lam=3.0, scale_mad=True)
    assert scaled.fit([1, 2, 3, 4, 100]) == pytest.approx(3 + 3 * 1.4826)


def test_percentile_threshold():
    thresholder = PercentileThresholder(q=90.0)
    # Linear interpolation over 0..10: the 90th percentile is 9.
    assert thresholder.fit(np.arange(11)) == pytest.approx(9.0)
    pred = thresholder.predict(np.array([[8.0, 9.0], [10.0, 1.0]]))
    np.testing.assert_array_equal(pred, [[False, True], [True, False]])
    with pytest.raises(ValueError, match='0, 100'):
        PercentileThresholder(q=120)


def test_build_thresholder_from_registry():
    built = build_thresholder(dict(type='MADThresholder', lam=2.0))
    assert isinstance(built, MADThresholder) and built.lam == 2.0
    assert THRESHOLDERS.get('PercentileThresholder') is PercentileThresholder
    assert build_thresholder(built) is built
    with pytest.raises(TypeError, match='type'):
        build_thresholder(dict(lam=2.0))


def test_thresholder_errors():
    with pytest.raises(ValueError, match='no scores'):
        MADThresholder().fit([])
    with pytest.raises(ValueError, match='NaN'):
        PercentileThresholder().fit([1.0, np.nan])
    with pytest.raises(RuntimeError, match='not fitted'):
        MADThresholder().predict([1.0])
    fitted = MADThresholder()
    fitted.fit([1.0, 2.0])
    with pytest.raises(ValueError, match='NaN'):
        fitted([np.nan])
