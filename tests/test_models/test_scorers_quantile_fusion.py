import numpy as np
import pytest
import torch

from cbad.models.scorers import QuantileNormalizer, WeightedScoreFusion
from cbad.registry import MODELS


def _val_scores(n=500, seed=0):
    return torch.from_numpy(
        np.random.default_rng(seed).gamma(2.0, 1.0, size=n))


def test_strictly_increasing_far_beyond_range():
    scores = _val_scores()
    q = MODELS.build(dict(type='QuantileNormalizer')).fit(scores)
    lo, hi = float(scores.min()), float(scores.max())
    grid = torch.linspace(lo - 100, hi + 1000, 200_001, dtype=torch.float64)
    out = q(grid)
    assert out.shape == grid.shape and out.dtype == torch.float64
    assert (out.diff() > 0).all()
    # float32 inputs: still strictly increasing at a coarser spacing
    out32 = q(torch.linspace(lo - 50, hi + 50, 2001))
    assert (out32.diff() > 0).all()


def test_no_saturation_above_max_and_median_near_half():
    scores = _val_scores()
    q = QuantileNormalizer().fit(scores)
    top = float(scores.max())
    above = torch.tensor([top + 0.1, top + 1., top + 10., top + 100.])
    mapped = q(above)
    assert (mapped > 1).all() and (mapped.diff() > 0).all()
    assert abs(float(q(scores.median().reshape(1))) - 0.5) < 0.01
    # inside the range Q is the empirical CDF
    ranks = q(scores)
    assert 0 <= float(ranks.min()) and float(ranks.max()) <= 1
    frac_below = (scores[:, None] <= scores[None]).double().mean(0)
    assert (ranks - frac_below).abs().max() < 0.02
    # the saturating form, kept for ablations, ties every such score at 1
    clamp = QuantileNormalizer(tail='clamp').fit(scores)
    assert torch.equal(clamp(above), torch.ones(4, dtype=torch.float64))


def test_hand_values_tail_slope():
    scores = torch.arange(5, dtype=torch.float64)  # 0..4, IQR = 2
    q = QuantileNormalizer(num_quantiles=5).fit(scores)
    x = torch.tensor([-2., 0., 1.5, 4., 8.], dtype=torch.float64)
    expected = torch.tensor([-1., 0., 0.375, 1., 3.], dtype=torch.float64)
    assert torch.allclose(q(x), expected, atol=1e-5)


def test_duplicate_quantiles_stay_strictly_increasing():
    # 80% exact zeros (e.g. T for short videos), then a few positive values
    scores = torch.cat([torch.zeros(80), torch.linspace(0.1, 1., 20)])
    q = QuantileNormalizer().fit(scores)
    assert (q.quantiles.diff() > 0).all()
    grid = torch.linspace(-1, 2, 30_001, dtype=torch.float64)
    assert (q(grid).diff() > 0).all()
    constant = QuantileNormalizer().fit(torch.full((10, ), 3.))
    assert (constant(grid + 3).diff() > 0).all()


def test_normalizer_round_trip_and_unfitted():
    scores = _val_scores()
    fitted = QuantileNormalizer(num_quantiles=51).fit(scores)
    fresh = QuantileNormalizer()  # other num_quantiles: the state wins
    with pytest.raises(RuntimeError, match='not fitted'):
        fresh(scores)
    fresh.load_state_dict(fitted.state_dict())
    x = torch.linspace(-5, 40, 101, dtype=torch.float64)
    assert torch.equal(fresh(x), fitted(x))


def _terms(n, seed):
    rng = np.random.default_rng(seed)
    return {
        name: torch.from_numpy(rng.gamma(2.0, s, size=n))
        for name, s in dict(D=1.0, T=0.01, R=100.0).items()
    }


def test_fusion_is_weighted_sum_of_normalised_terms():
    fusion = MODELS.build(
        dict(type='WeightedScoreFusion', weights=dict(D=2., T=1., R=1.)))
    assert fusion.weights == dict(D=0.5, T=0.25, R=0.25)
    fusion.fit(_terms(300, 0))
    test = _terms(20, 1)
    out = fusion(test)
    assert out.shape == (20, )
    parts = fusion.normalise(test)
    expected = (0.5 * parts['D'] + 0.25 * parts['T'] + 0.25 * parts['R'])
    assert torch.allclose(out, expected)
    manual = QuantileNormalizer().fit(_terms(300, 0)['R'])
    assert torch.allclose(parts['R'], manual(test['R']))
    fresh = WeightedScoreFusion(weights=dict(D=2., T=1., R=1.))
    fresh.load_state_dict(fusion.state_dict())
    assert fresh.is_fitted and torch.equal(fresh(test), out)


def test_fusion_zero_weight_terms_and_errors():
    fusion = WeightedScoreFusion(weights=dict(D=1., T=0., R=1.))
    assert fusion.active_terms == ['D', 'R']
    with pytest.raises(RuntimeError, match='not fitted'):
        fusion(_terms(5, 0))
    val = _terms(100, 0)
    del val['T']
    fusion.fit(val)
    assert fusion.is_fitted
    assert fusion({'D': val['D'][:3], 'R': val['R'][:3]}).shape == (3, )
    with pytest.raises(ValueError, match=r"missing \['R'\]"):
        fusion({'D': val['D']})
    with pytest.raises(ValueError, match=r"unknown \['X'\]"):
        fusion({'D': val['D'], 'R': val['R'], 'X': val['R']})
    with pytest.raises(ValueError, match='>= 0'):
        WeightedScoreFusion(weights=dict(D=-1.))
    with pytest.raises(ValueError, match='> 0'):
        WeightedScoreFusion(weights=dict(D=0.))
