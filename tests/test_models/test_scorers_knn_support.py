import numpy as np
import pytest
import torch

from cbad.models.scorers import KNNSupportScorer
from cbad.registry import MODELS


def _brute_force(bank, queries, k, skip=0):
    dist = np.sqrt(((queries[:, None].astype(np.float64) -
                     bank[None].astype(np.float64))**2).sum(-1))
    return np.sort(dist, axis=1)[:, skip:skip + k].mean(1)


def _data(m=200, n=15, dim=8):
    gen = torch.Generator().manual_seed(0)
    return torch.randn(m, dim, generator=gen), torch.randn(n,
                                                           dim,
                                                           generator=gen)


def test_matches_brute_force():
    bank, queries = _data()
    scorer = MODELS.build(dict(type='KNNSupportScorer', k=5)).fit(bank)
    scores = scorer(queries)
    assert scores.shape == (15, )
    np.testing.assert_allclose(scores.numpy(),
                               _brute_force(bank.numpy(), queries.numpy(), 5),
                               rtol=1e-5)


def test_exclude_self_skips_zero_distance():
    bank, _ = _data(m=50)
    plain = KNNSupportScorer(k=3).fit(bank)
    excl = KNNSupportScorer(k=3, exclude_self=True).fit(bank)
    np.testing.assert_allclose(excl(bank).numpy(),
                               _brute_force(bank.numpy(), bank.numpy(), 3, 1),
                               rtol=1e-5)
    # the forward argument overrides the constructor
    assert torch.allclose(plain(bank, exclude_self=True), excl(bank))
    assert (plain(bank) < excl(bank)).all()


def test_k_larger_than_bank_clamps_with_warning():
    bank, queries = _data(m=4)
    scorer = KNNSupportScorer(k=10).fit(bank)
    with pytest.warns(UserWarning, match='using k=4'):
        scores = scorer(queries)
    np.testing.assert_allclose(scores.numpy(),
                               _brute_force(bank.numpy(), queries.numpy(), 4),
                               rtol=1e-5)


def test_ivf_index_beyond_threshold_is_close_to_exact():
    bank, queries = _data(m=2000, n=20)
    exact = KNNSupportScorer(k=5).fit(bank)
    ivf = KNNSupportScorer(k=5, ivf_threshold=1000, nprobe=64).fit(bank)
    scores = ivf(queries)
    import faiss
    expected = exact(queries)
    assert isinstance(ivf._faiss_index, faiss.IndexIVFFlat)
    assert isinstance(exact._faiss_index, faiss.IndexFlatL2)
    # approximate search can only miss neighbours: never below exact
    assert (scores >= expected - 1e-5).all()
    assert torch.allclose(scores, expected, rtol=0.05)


def test_round_trip_rebuilds_index_and_gradient():
    bank, queries = _data()
    fitted = KNNSupportScorer(k=5).fit(bank)
    expected = fitted(queries)
    fresh = KNNSupportScorer(k=5)
    assert not fresh.is_fitted
    fresh.load_state_dict(fitted.state_dict())
    assert fresh.is_fitted and fresh._faiss_index is None
    assert torch.equal(fresh(queries), expected)
    # the faiss index is derived state, never in the state dict
    assert list(fitted.state_dict()) == ['memory_bank']
    q = queries.clone().requires_grad_()
    fresh(q).sum().backward()
    assert q.grad is not None and q.grad.abs().sum() > 0


def test_unfitted_and_dim_errors():
    with pytest.raises(RuntimeError, match='not fitted'):
        KNNSupportScorer()(torch.randn(2, 8))
    scorer = KNNSupportScorer().fit(torch.randn(20, 8))
    with pytest.raises(ValueError, match='fitted on 8-d'):
        scorer(torch.randn(2, 3))
    with pytest.raises(ValueError, match="'flat' or 'ivf'"):
        KNNSupportScorer(index='hnsw')
