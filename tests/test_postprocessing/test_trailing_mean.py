import numpy as np
import pytest

from cbad.postprocessing import TrailingMean
from cbad.registry import POSTPROCESSORS


def test_trailing_mean_values_by_hand():
    scores = np.array([4.0, 0.0, 2.0, 6.0, 1.0])
    out = TrailingMean(length=3)(scores)
    # the first frames average over the frames there are
    np.testing.assert_allclose(out, [4.0, 2.0, 2.0, 8 / 3, 3.0])


def test_trailing_mean_is_causal():
    rng = np.random.default_rng(0)
    scores = rng.random(50)
    later = scores.copy()
    later[30:] += 100  # changing later frames never moves earlier scores
    smoother = TrailingMean(length=8)
    np.testing.assert_array_equal(smoother(scores)[:30],
                                  smoother(later)[:30])
    assert not np.allclose(smoother(scores)[30:], smoother(later)[30:])


def test_streaming_equals_offline_and_reset():
    rng = np.random.default_rng(1)
    smoother = TrailingMean(length=5)
    for video in (rng.random(23), rng.random(7)):
        smoother.reset()
        streamed = [smoother.step(s) for s in video]
        np.testing.assert_allclose(streamed, smoother(video), rtol=1e-12)


def test_length_one_is_identity_and_empty_is_empty():
    scores = np.array([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(TrailingMean(1)(scores), scores)
    assert TrailingMean(4)(np.zeros(0)).shape == (0, )


@pytest.mark.parametrize('length', [0, -2, 2.5])
def test_bad_length_is_refused(length):
    with pytest.raises(ValueError, match='length'):
        TrailingMean(length)


def test_registered():
    smoother = POSTPROCESSORS.build(dict(type='TrailingMean', length=4))
    assert isinstance(smoother, TrailingMean) and smoother.length == 4
    assert repr(smoother) == 'TrailingMean(length=4)'
