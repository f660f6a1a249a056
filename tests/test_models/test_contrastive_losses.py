import numpy as np
import pytest
import torch

from cbad.registry import MODELS, register_all_modules

register_all_modules()


def _numpy_infonce(z_a, z_b, tau, keep):
    z = np.concatenate([z_a, z_b])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    logits = z @ z.T / tau
    n2 = len(z)
    losses = []
    for i in range(n2):
        pos = (i + n2 // 2) % n2
        denom = sum(np.exp(logits[i, j]) for j in range(n2)
                    if j == pos or keep[i][j])
        losses.append(-np.log(np.exp(logits[i, pos]) / denom))
    return np.mean(losses)


def test_infonce_hand_value_without_masking():
    z_a = np.array([[1., 0.], [0., 2.]], dtype=np.float32)
    z_b = np.array([[1., 1.], [-1., 1.]], dtype=np.float32)
    loss_fn = MODELS.build(dict(type='InstanceContrastLoss', tau=0.5,
                                mask_same_video=False))
    loss = loss_fn(torch.from_numpy(z_a), torch.from_numpy(z_b))
    # every non-self, non-positive view is a negative
    keep = [[i != j and j != (i + 2) % 4 for j in range(4)] for i in range(4)]
    assert loss.item() == pytest.approx(_numpy_infonce(z_a, z_b, 0.5, keep),
                                        rel=1e-5)
    # by hand: views a0=(1,0), a1=(0,1), b0=(1,1)/r2, b1=(-1,1)/r2 give
    # cosines a0.b0 = a1.b0 = a1.b1 = c, a0.b1 = -c, a0.a1 = b0.b1 = 0, so
    # anchors a0 and b1 see {pos c, neg 0, neg -c} and a1, b0 {c, 0, c}
    e = np.exp(1 / np.sqrt(2) / 0.5)
    l_1 = -np.log(e / (e + 1 + 1 / e))
    l_2 = -np.log(e / (e + 1 + e))
    assert loss.item() == pytest.approx((l_1 + l_2) / 2, rel=1e-5)


def test_masking_removes_exactly_overlapping_same_video_negatives():
    loss_fn = MODELS.build(dict(type='InstanceContrastLoss', tau=0.1))
    video_ids = torch.tensor([0, 0, 0, 1])
    # clip_len 16: clips 0 [0, 15] and 1 [4, 19] overlap; clip 2 [20, 35]
    # touches clip 1 without overlapping, so it stays a negative
    starts = torch.tensor([0, 4, 20, 4])
    keep = loss_fn.negative_mask(video_ids, starts, clip_len=16)
    n = 4
    for i in range(2 * n):
        for j in range(2 * n):
            a, b = i % n, j % n
            same_clip = a == b  # self or positive
            overlap = {a, b} == {0, 1}
            assert keep[i, j].item() == (not same_clip and not overlap), (i, j)
    torch.manual_seed(0)
    z_a, z_b = torch.randn(4, 3), torch.randn(4, 3)
    loss = loss_fn(z_a, z_b, video_ids, starts, clip_len=16)
    expected = _numpy_infonce(z_a.numpy(), z_b.numpy(), 0.1, keep.numpy())
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    unmasked = MODELS.build(dict(type='InstanceContrastLoss', tau=0.1,
                                 mask_same_video=False))
    assert unmasked(z_a, z_b).item() != pytest.approx(loss.item())


def test_infonce_gradients_and_required_metadata():
    loss_fn = MODELS.build(dict(type='InstanceContrastLoss'))
    z_a = torch.randn(3, 4, requires_grad=True)
    z_b = torch.randn(3, 4, requires_grad=True)
    loss = loss_fn(z_a, z_b, torch.tensor([0, 1, 2]), torch.zeros(3,
                                                                  dtype=int),
                   clip_len=16)
    loss.backward()
    assert z_a.grad.abs().sum() > 0 and z_b.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='video_ids'):
        loss_fn(z_a, z_b)
    with pytest.raises(ValueError, match='clip_len'):
        loss_fn(z_a, z_b, torch.arange(3), torch.arange(3))
    with pytest.raises(ValueError, match='same shape'):
        loss_fn(z_a, z_b[:2], torch.arange(3), torch.arange(3), 16)


def test_prototype_ema_follows_momentum_formula():
    loss_fn = MODELS.build(dict(type='PrototypeTractionLoss', num_groups=3,
                                dim=2, momentum=0.9))
    z1 = torch.tensor([[1., 0.], [0., 1.], [0., -3.]])
    g1 = torch.tensor([0, 0, 2])
    loss1 = loss_fn(z1, g1)
    p0 = torch.tensor([0.5, 0.5])  # first batch initialises p_0
    torch.testing.assert_close(loss_fn.prototypes[0], p0)
    torch.testing.assert_close(loss_fn.prototypes[2], torch.tensor([0., -1.]))
    assert loss_fn.initialized.tolist() == [True, False, True]
    # ||(1,0)-p0||^2 = ||(0,1)-p0||^2 = 0.5; group 2 sits on its prototype
    assert loss1.item() == pytest.approx((0.5 + 0.5 + 0.) / 3)
    z2 = torch.tensor([[-2., 0.]], requires_grad=True)  # normalised (-1, 0)
    loss2 = loss_fn(z2, torch.tensor([0]))
    p0_new = 0.9 * p0 + 0.1 * torch.tensor([-1., 0.])
    torch.testing.assert_close(loss_fn.prototypes[0], p0_new)
    assert loss2.item() == pytest.approx(
        (torch.tensor([-1., 0.]) - p0_new).pow(2).sum().item(), rel=1e-6)
    loss2.backward()
    assert z2.grad.abs().sum() > 0 and loss_fn.prototypes.grad is None
    # eval mode: no update
    loss_fn.eval()
    before = loss_fn.prototypes.clone()
    loss_fn(torch.randn(4, 2), torch.tensor([0, 1, 2, 0]))
    torch.testing.assert_close(loss_fn.prototypes, before)
    with pytest.raises(ValueError, match=r'\[0, 3\)'):
        loss_fn(torch.randn(1, 2), torch.tensor([3]))


def test_temporal_smoothness_hand_value_ignores_non_adjacent_pairs():
    loss_fn = MODELS.build(dict(type='TemporalSmoothnessLoss'))
    z = torch.tensor([[1., 0.], [0., 3.], [5., 0.], [0., -1.], [7., 7.]],
                     requires_grad=True)
    video_ids = torch.tensor([0, 0, 0, 1, 0])
    # adjacent at stride 4: (0 -> 4) only; 12 is 8 after 4, video 1 differs,
    # and 4 is duplicated by clip 4 whose start 5 is off the grid
    starts = torch.tensor([0, 4, 12, 8, 5])
    loss = loss_fn(z, video_ids, starts, stride=4)
    assert loss.item() == pytest.approx(2.0)  # ||(0,1) - (1,0)||^2
    loss.backward()
    assert z.grad[[0, 1]].abs().sum() > 0 and z.grad[2:].abs().sum() == 0
    two_pairs = loss_fn(z, torch.tensor([0, 0, 0, 1, 1]),
                        torch.tensor([0, 4, 8, 0, 4]), stride=4)
    # (1,0)->(0,1): 2; (0,1)->(1,0): 2; (0,-1)->(1,1)/sqrt2: 2 + sqrt2
    assert two_pairs.item() == pytest.approx((2 + 2 + 2 + np.sqrt(2)) / 3)


def test_temporal_smoothness_without_pairs_is_zero_with_grad():
    loss_fn = MODELS.build(dict(type='TemporalSmoothnessLoss'))
    z = torch.randn(3, 4, requires_grad=True)
    loss = loss_fn(z, torch.arange(3), torch.zeros(3, dtype=torch.long), 4)
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    with pytest.raises(ValueError, match='video_ids'):
        loss_fn(z, torch.arange(2), torch.zeros(3, dtype=torch.long), 4)


def test_extra_negatives_join_every_denominator():
    g = torch.Generator().manual_seed(3)
    z_a, z_b = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
    extra = torch.randn(2, 4, generator=g)
    loss_fn = MODELS.build(dict(type='InstanceContrastLoss', tau=0.5,
                                mask_same_video=False))
    got = loss_fn(z_a, z_b, extra_negatives=extra).item()
    # by numpy: the 2 extra vectors are added to each anchor's denominator
    z = torch.nn.functional.normalize(torch.cat([z_a, z_b]), dim=1).numpy()
    e = torch.nn.functional.normalize(extra, dim=1).numpy()
    losses = []
    for i in range(6):
        pos = (i + 3) % 6
        terms = [z[i] @ z[j] / 0.5 for j in range(6) if j != i]
        terms += [z[i] @ v / 0.5 for v in e]
        losses.append(-(z[i] @ z[pos] / 0.5) + np.log(np.exp(terms).sum()))
    assert got == pytest.approx(np.mean(losses), rel=1e-5)
    assert got > loss_fn(z_a, z_b).item()
    with pytest.raises(ValueError, match='extra_negatives'):
        loss_fn(z_a, z_b, extra_negatives=torch.randn(2, 3))
