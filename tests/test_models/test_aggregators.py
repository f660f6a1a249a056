import numpy as np
import pytest
import torch

from cbad.registry import MODELS, register_all_modules

register_all_modules()


def test_attention_weights_are_the_hand_softmax():
    agg = MODELS.build(dict(type='TemporalAttentionAggregator', dim=2))
    with torch.no_grad():
        agg.q.copy_(torch.tensor([1., -1.]))
    u = torch.tensor([[[1., 0.], [0., 1.], [2., 2.]]])  # q^T u = 1, -1, 0
    z, alpha = agg(u, return_weights=True)
    scores = np.array([1., -1., 0.])
    expected = np.exp(scores) / np.exp(scores).sum()
    np.testing.assert_allclose(alpha[0].detach().numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(
        z[0].detach().numpy(), expected @ u[0].numpy(), rtol=1e-6)
    assert z.shape == (1, 2) and alpha.shape == (1, 3)


def test_attention_weights_sum_to_one_and_gradients_flow():
    torch.manual_seed(0)
    agg = MODELS.build(dict(type='TemporalAttentionAggregator', dim=8))
    u = torch.randn(4, 5, 8, requires_grad=True)
    z, alpha = agg(u, return_weights=True)
    torch.testing.assert_close(alpha.sum(dim=1), torch.ones(4))
    assert (alpha > 0).all()
    z.pow(2).sum().backward()
    assert agg.q.grad.abs().sum() > 0 and u.grad.abs().sum() > 0


def test_mean_pool_hand_value_and_uniform_weights():
    agg = MODELS.build(dict(type='MeanPoolAggregator'))
    u = torch.tensor([[[1., 2.], [3., 6.]]])
    z, alpha = agg(u, return_weights=True)
    assert z.tolist() == [[2., 4.]] and alpha.tolist() == [[0.5, 0.5]]
    assert agg(u).shape == (1, 2)


def test_wrong_shapes_raise():
    agg = MODELS.build(dict(type='TemporalAttentionAggregator', dim=8))
    with pytest.raises(ValueError, match=r'\(N, T, D\)'):
        agg(torch.randn(2, 3, 2, 2, 8))
    with pytest.raises(ValueError, match='dim=8'):
        agg(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match='T >= 1'):
        MODELS.build(dict(type='MeanPoolAggregator'))(torch.randn(2, 0, 4))
