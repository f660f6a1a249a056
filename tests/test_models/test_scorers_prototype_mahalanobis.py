import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import load_state_dict
from torch import nn

from cbad.models.scorers import PrototypeMahalanobisScorer
from cbad.models.scorers._kmeans import kmeans
from cbad.registry import MODELS


def _blobs(seed=0, per_blob=40, dim=4):
    """Three well-separated Gaussian blobs (M=120, D=4)."""
    gen = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[0.] * dim, [10.] * dim,
                            [-10.] + [10.] * (dim - 1)])
    return torch.cat([
        c + torch.randn(per_blob, dim, generator=gen) for c in centres
    ]), centres


def _hand_precision(points, shrinkage, eps):
    points = points.astype(np.float64)
    centred = points - points.mean(0)
    cov = centred.T @ centred / len(points)
    d = cov.shape[0]
    sigma = ((1 - shrinkage) * cov +
             shrinkage * np.trace(cov) / d * np.eye(d) + eps * np.eye(d))
    return np.linalg.inv(sigma)


def test_kmeans_finds_blobs_and_is_deterministic():
    z, centres = _blobs()
    c1, labels1 = kmeans(z.double(), 3, seed=3)
    c2, labels2 = kmeans(z.double(), 3, seed=3)
    assert torch.equal(c1, c2) and torch.equal(labels1, labels2)
    # each true centre has one fitted centre nearby (sampling error ~0.3)
    dist = torch.cdist(centres.double(), c1)
    assert (dist.min(dim=1).values < 1.0).all()
    assert sorted(torch.bincount(labels1).tolist()) == [40, 40, 40]


def test_matches_numpy_by_hand():
    z, _ = _blobs()
    scorer = PrototypeMahalanobisScorer(num_prototypes=3,
                                        shrinkage=0.2,
                                        eps=1e-3).fit(z)
    assert scorer.is_fitted
    assert scorer.prototypes.shape == (3, 4)
    assert scorer.precisions.shape == (3, 4, 4)
    z_np = z.numpy()
    labels = ((z_np[:, None] - scorer.prototypes.numpy()[None])**2).sum(-1)
    labels = labels.argmin(1)
    for k in range(3):
        members = z_np[labels == k]
        np.testing.assert_allclose(scorer.prototypes[k].numpy(),
                                   members.mean(0),
                                   rtol=1e-5,
                                   atol=1e-5)
        np.testing.assert_allclose(scorer.precisions[k].numpy(),
                                   _hand_precision(members, 0.2, 1e-3),
                                   rtol=1e-4)
    queries = torch.randn(7, 4, generator=torch.Generator().manual_seed(1)) * 8
    dist, k_star = scorer(queries, return_index=True)
    assert dist.shape == (7, ) and k_star.shape == (7, )
    q = queries.numpy().astype(np.float64)
    forms = np.stack([
        np.einsum('nd,de,ne->n', q - p, prec, q - p)
        for p, prec in zip(scorer.prototypes.numpy().astype(np.float64),
                           scorer.precisions.numpy().astype(np.float64))
    ],
                     axis=1)  # N x K
    np.testing.assert_allclose(dist.numpy(), forms.min(1), rtol=1e-4)
    np.testing.assert_array_equal(k_star.numpy(), forms.argmin(1))
    root = PrototypeMahalanobisScorer(num_prototypes=3,
                                      shrinkage=0.2,
                                      eps=1e-3,
                                      squared=False).fit(z)
    np.testing.assert_allclose(root(queries).numpy(),
                               np.sqrt(forms.min(1)),
                               rtol=1e-4)


def test_small_clusters_and_k_clamp():
    # 5 points in 16-d: every cluster has fewer points than D
    z = torch.randn(5, 16, generator=torch.Generator().manual_seed(0))
    with pytest.warns(UserWarning, match='num_prototypes=8 exceeds'):
        scorer = PrototypeMahalanobisScorer(num_prototypes=8).fit(z)
    assert scorer.prototypes.shape == (5, 16)
    scores = scorer(torch.randn(3, 16))
    assert torch.isfinite(scores).all() and (scores > 0).all()
    # a fitting point is its own singleton prototype: distance 0
    assert torch.allclose(scorer(z), torch.zeros(5), atol=1e-3)


def test_farther_is_larger_and_gradient():
    z, _ = _blobs()
    scorer = PrototypeMahalanobisScorer(num_prototypes=3).fit(z)
    near = torch.zeros(1, 4)
    far = torch.full((1, 4), -30.)
    assert scorer(far) > 10 * scorer(near)
    q = torch.randn(4, 4, requires_grad=True)
    scorer(q).sum().backward()
    assert q.grad is not None and torch.isfinite(q.grad).all()


def test_state_dict_round_trip_into_unfitted_module():
    z, _ = _blobs()
    fitted = MODELS.build(
        dict(type='PrototypeMahalanobisScorer', num_prototypes=3)).fit(z)
    queries = torch.randn(6, 4)
    fresh = PrototypeMahalanobisScorer(num_prototypes=3)
    assert not fresh.is_fitted
    fresh.load_state_dict(fitted.state_dict())
    assert fresh.is_fitted
    assert torch.equal(fresh(queries), fitted(queries))
    # nested in a parent and loaded with mmengine's loader (checkpoints)
    parent, other = nn.Module(), nn.Module()
    parent.scorer, other.scorer = fitted, PrototypeMahalanobisScorer()
    load_state_dict(other, parent.state_dict(), strict=True)
    assert torch.equal(other.scorer(queries), fitted(queries))


def test_unfitted_and_bad_input_errors():
    scorer = PrototypeMahalanobisScorer()
    with pytest.raises(RuntimeError, match='not fitted'):
        scorer(torch.randn(2, 4))
    scorer.fit(torch.randn(30, 4))
    with pytest.raises(ValueError, match='fitted on 4-d'):
        scorer(torch.randn(2, 5))
    with pytest.raises(ValueError, match=r'\(M, D\)'):
        scorer.fit(torch.randn(30))
    with pytest.raises(ValueError, match='singular'):
        PrototypeMahalanobisScorer(num_prototypes=2, shrinkage=0.,
                                   eps=0.).fit(torch.randn(6, 8))
