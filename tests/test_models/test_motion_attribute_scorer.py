import numpy as np
import pytest
import torch

from cbad.models.scorers import MotionAttributeScorer
from cbad.registry import SCORERS, register_all_modules

register_all_modules()


def _normals(num=30, seed=0):
    """(M, 3) attributes on very different scales (speed, height, vy)."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.normal(2.0, 0.5, num), rng.normal(0.2, 0.02, num),
                     rng.normal(0.0, 5.0, num)], axis=1).astype(np.float32)


def _knn_by_hand(bank, queries, k):
    """Mean distance to the k nearest rows of ``bank`` after standardising
    with the bank's mean and unbiased std (float64 numpy)."""
    bank = bank.astype(np.float64)
    mean, std = bank.mean(0), bank.std(0, ddof=1)
    a = (bank - mean) / std
    q = (queries.astype(np.float64) - mean) / std
    dist = np.linalg.norm(q[:, None] - a[None], axis=-1)
    return np.sort(dist, axis=1)[:, :k].mean(1)


def test_fit_standardises_and_scores_like_a_hand_knn():
    bank = _normals()
    queries = np.array([[2.0, 0.2, 0.0], [4.0, 0.2, 0.0], [2.0, 0.3, 9.0]],
                       np.float32)
    scorer = MotionAttributeScorer(k=4).fit(bank)
    assert scorer.is_fitted
    np.testing.assert_allclose(scorer.attribute_mean, bank.mean(0),
                               rtol=1e-5)
    np.testing.assert_allclose(scorer.attribute_std, bank.std(0, ddof=1),
                               rtol=1e-5)
    z = scorer.standardize(torch.from_numpy(bank))
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-5)
    # the memory bank holds the standardised normals
    np.testing.assert_allclose(scorer.memory_bank, z, atol=1e-6)
    scores = scorer(torch.from_numpy(queries))
    assert scores.shape == (3, )
    np.testing.assert_allclose(scores.numpy(), _knn_by_hand(bank, queries, 4),
                               rtol=1e-4)
    # a typical object scores lowest; twice the usual speed is far off
    assert scores[0] < scores[1] and scores[0] < scores[2]


def test_standardising_weighs_every_attribute_alike():
    # raw distances would be dominated by vy (std 5); standardised, a
    # 3-sigma step in any attribute moves the score by about the same
    bank = _normals(200)
    scorer = MotionAttributeScorer(k=5).fit(bank)
    centre = torch.from_numpy(bank.mean(0, keepdims=True))
    std = torch.from_numpy(bank.std(0, ddof=1))
    steps = [scorer(centre + 3 * std * torch.eye(3)[j]) for j in range(3)]
    steps = torch.cat(steps)
    assert steps.max() / steps.min() < 1.5


def test_a_constant_attribute_gives_finite_scores():
    bank = _normals()
    bank[:, 1] = 0.25  # every normal tube has the same height
    scorer = MotionAttributeScorer(k=3).fit(torch.from_numpy(bank))
    assert torch.isfinite(scorer.attribute_std).all()
    assert (scorer.attribute_std > 0).all()
    assert torch.isfinite(scorer.memory_bank).all()
    queries = torch.tensor([[2.0, 0.25, 0.0], [2.0, 0.5, 0.0]])
    scores = scorer(queries)
    assert torch.isfinite(scores).all()
    # same height: the constant column adds nothing to the distances
    expected = _knn_by_hand(np.delete(bank, 1, axis=1),
                            np.delete(queries.numpy(), 1, axis=1), 3)
    assert scores[0].item() == pytest.approx(expected[0], rel=1e-4)
    assert scores[1] > 1e3 * scores[0]  # never seen: very far, not inf


def test_state_dict_round_trip_resizes_the_buffers():
    bank = _normals()
    scorer = MotionAttributeScorer(k=3).fit(bank)
    fresh = SCORERS.build(dict(type='MotionAttributeScorer', k=3))
    assert not fresh.is_fitted
    assert fresh.attribute_mean.shape == (0, )
    fresh.load_state_dict(scorer.state_dict(), strict=True)
    assert fresh.is_fitted
    assert fresh.attribute_mean.shape == fresh.attribute_std.shape == (3, )
    assert fresh.memory_bank.shape == (30, 3)
    queries = torch.randn(5, 3)
    torch.testing.assert_close(fresh(queries), scorer(queries))


def test_unfitted_or_too_small_fits_are_clear_errors():
    scorer = MotionAttributeScorer()
    with pytest.raises(RuntimeError, match='not fitted'):
        scorer(torch.zeros(2, 3))
    with pytest.raises(ValueError, match='at least 2 normal tubes'):
        scorer.fit(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match='NaN or inf'):
        scorer.fit(np.full((4, 3), np.nan, np.float32))
    scorer.fit(_normals())
    with pytest.raises(ValueError, match='fitted on 3-d'):
        scorer(torch.zeros(2, 4))
