import pytest
import torch

from cbad.models.scorers import CentreDistanceScorer, TemporalResidualScorer
from cbad.registry import MODELS


def test_straight_line_has_zero_residual():
    scorer = MODELS.build(dict(type='TemporalResidualScorer'))
    steps = torch.arange(6, dtype=torch.float32)[:, None]
    z = torch.tensor([1., -2., 0.5]) + steps * torch.tensor([0.3, 0.1, -1.])
    out = scorer(z)
    assert out.shape == (6, )
    assert torch.allclose(out, torch.zeros(6), atol=1e-5)


def test_kink_hand_value_and_endpoint_rule():
    # moves along x, then turns to y at window 2
    z = torch.tensor([[0., 0.], [1., 0.], [2., 0.], [2., 1.], [2., 2.]])
    out = TemporalResidualScorer()(z)
    # interior: i=1: (2,0)-2(1,0)+(0,0) = 0; i=2: (2,1)-2(2,0)+(1,0) = (-1,1)
    # i=3: (2,2)-2(2,1)+(2,0) = 0; ends copy the nearest interior value
    root2 = 2**0.5
    assert torch.allclose(out, torch.tensor([0., 0., root2, 0., 0.]))
    z2 = torch.tensor([[0., 0.], [0., 0.], [3., 4.]])
    assert torch.allclose(TemporalResidualScorer()(z2), torch.full((3, ), 5.))


def test_short_batched_and_gradient():
    scorer = TemporalResidualScorer()
    assert scorer.is_fitted and scorer.fit() is scorer
    assert torch.equal(scorer(torch.randn(2, 4)), torch.zeros(2))
    assert scorer(torch.randn(0, 4)).shape == (0, )
    batch = torch.randn(3, 7, 4, requires_grad=True)
    out = scorer(batch)
    assert out.shape == (3, 7)
    assert torch.allclose(out[1], scorer(batch[1]))
    out.sum().backward()
    assert torch.isfinite(batch.grad).all()
    with pytest.raises(ValueError, match=r'\(S, D\)'):
        scorer(torch.randn(5))


def test_centre_distance_hand_value_and_round_trip():
    z = torch.tensor([[0., 0.], [2., 0.], [1., 3.]])  # centre (1, 1)
    scorer = MODELS.build(dict(type='CentreDistanceScorer')).fit(z)
    assert torch.allclose(scorer.centre, torch.tensor([1., 1.]))
    queries = torch.tensor([[1., 1.], [4., 5.]], requires_grad=True)
    out = scorer(queries)
    assert torch.allclose(out, torch.tensor([0., 25.]))
    out.sum().backward()
    assert torch.allclose(queries.grad, 2 * (queries.detach() - 1.))
    fresh = CentreDistanceScorer()
    with pytest.raises(RuntimeError, match='not fitted'):
        fresh(queries)
    fresh.load_state_dict(scorer.state_dict())
    assert fresh.is_fitted
    assert torch.equal(fresh(queries), out)
