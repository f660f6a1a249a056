"""MemAE parts: encoder/decoder shapes, memory addressing, entropy, detector."""
import math

import pytest
import torch

from cbad.models.detectors import MemAEDetector
from cbad.models.encoders import MemAEEncoder
from cbad.models.heads import MemAEDecoder, MemoryModule
from cbad.models.losses import EntropyLoss

CHANNELS = (4, 6, 8, 8)


def _detector(**memory):
    memory = dict(type='MemoryModule', num_slots=20, feat_dim=CHANNELS[-1],
                  **memory)
    return MemAEDetector(
        encoder=dict(type='MemAEEncoder', channels=CHANNELS),
        memory=memory,
        decoder=dict(type='MemAEDecoder', channels=CHANNELS))


# ------------------------------------------------------------ encoder/decoder
def test_encoder_decoder_shapes():
    encoder = MemAEEncoder(channels=CHANNELS)
    decoder = MemAEDecoder(channels=CHANNELS)
    x = torch.randn(2, 1, 16, 32, 48)
    z = encoder(x)
    assert z.shape == (2, 8, 2, 2, 3)  # T/8, H/16, W/16
    assert decoder(z, x.shape[2:]).shape == x.shape
    assert decoder(z, (32, 48)).shape == x.shape  # T = 8 t when not given


def test_decoder_resizes_to_sizes_not_multiple_of_16():
    encoder = MemAEEncoder(channels=CHANNELS)
    decoder = MemAEDecoder(channels=CHANNELS)
    x = torch.randn(1, 1, 10, 30, 40)
    assert decoder(encoder(x), x.shape[2:]).shape == x.shape


def test_encoder_rejects_colour_clips():
    with pytest.raises(ValueError, match='to_gray=True'):
        MemAEEncoder(channels=CHANNELS)(torch.randn(1, 3, 16, 32, 32))


# --------------------------------------------------------------------- memory
@pytest.mark.parametrize('similarity', ['cosine', 'dot'])
def test_addressing_sums_to_one_before_and_after_shrinkage(similarity):
    torch.manual_seed(0)
    memory = MemoryModule(num_slots=50, feat_dim=8, similarity=similarity)
    queries = torch.randn(30, 8)
    w = memory.address(queries)
    assert w.shape == (30, 50)
    assert (w >= 0).all()
    torch.testing.assert_close(w.sum(dim=1), torch.ones(30))
    w_hat = memory.shrink(w)
    kept = w_hat.sum(dim=1) > 0
    assert kept.any()
    torch.testing.assert_close(w_hat.sum(dim=1)[kept], torch.ones(
        int(kept.sum())))


def test_shrinkage_zeroes_weights_below_lambda_and_keeps_the_rest():
    memory = MemoryModule(num_slots=4, feat_dim=2, shrink_thres=0.2)
    w = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    w_hat = memory.shrink(w)
    assert w_hat[0, 2] == 0 and w_hat[0, 3] == 0
    # the survivors keep their ratio and are re-normalised to sum 1
    torch.testing.assert_close(w_hat, torch.tensor([[0.625, 0.375, 0., 0.]]))


def test_shrinkage_default_lambda_is_one_over_n_and_zero_disables_it():
    assert MemoryModule(num_slots=40, feat_dim=2).shrink_thres == 1 / 40
    w = torch.tensor([[0.9, 0.1, 0.0, 0.0]])
    off = MemoryModule(num_slots=4, feat_dim=2, shrink_thres=0.0)
    torch.testing.assert_close(off.shrink(w), w)


def test_memory_output_is_a_convex_combination_of_slots():
    torch.manual_seed(0)
    memory = MemoryModule(num_slots=6, feat_dim=4, similarity='dot')
    z = torch.randn(2, 4, 1, 2, 3)
    z_hat, w_hat = memory(z)
    assert z_hat.shape == z.shape
    assert w_hat.shape == (2, 1, 2, 3, 6)
    expected = w_hat.reshape(-1, 6) @ memory.memory  # Q x D
    torch.testing.assert_close(
        z_hat.movedim(1, -1).reshape(-1, 4), expected)


def test_memory_query_equal_to_a_sharp_slot_reads_that_slot():
    memory = MemoryModule(num_slots=3, feat_dim=3, similarity='dot',
                          shrink_thres=0.05)
    with torch.no_grad():
        memory.memory.copy_(10 * torch.eye(3))
    z = memory.memory[1].view(1, 3)  # N x D, no spatial axes
    z_hat, w_hat = memory(z)
    torch.testing.assert_close(w_hat, torch.tensor([[0., 1., 0.]]))
    torch.testing.assert_close(z_hat, z)


def test_memory_rejects_wrong_feature_width():
    with pytest.raises(ValueError, match='feat_dim'):
        MemoryModule(num_slots=5, feat_dim=8)(torch.randn(1, 4, 2, 2, 2))


def test_memory_rejects_bad_arguments():
    with pytest.raises(ValueError, match='similarity'):
        MemoryModule(similarity='l2')
    with pytest.raises(ValueError, match='shrink_thres'):
        MemoryModule(shrink_thres=1.5)


# -------------------------------------------------------------------- entropy
def test_entropy_of_one_hot_address_is_zero_and_uniform_is_log_m():
    loss = EntropyLoss(loss_weight=1.0)
    one_hot = torch.zeros(3, 5, 10)
    one_hot[..., 2] = 1
    assert float(loss(one_hot)) == pytest.approx(0.0, abs=1e-9)
    uniform = torch.full((3, 10), 0.1)
    assert float(loss(uniform)) == pytest.approx(math.log(10), rel=1e-5)
    assert float(EntropyLoss()(uniform)) == pytest.approx(
        0.0002 * math.log(10), rel=1e-5)


def test_entropy_of_all_zero_address_is_zero_and_finite_gradient():
    w = torch.zeros(2, 4, requires_grad=True)
    value = EntropyLoss(loss_weight=1.0)(w)
    value.backward()
    assert value.item() == 0.0
    assert torch.isfinite(w.grad).all()


# ------------------------------------------------------------------- detector
def test_detector_losses_and_gradients_reach_every_part():
    torch.manual_seed(0)
    model = _detector(similarity='dot', shrink_thres=0.0)
    x = torch.randn(2, 1, 16, 32, 32)
    losses = model.loss(x)
    assert set(losses) == {'loss_rec', 'loss_entropy', 'mem_empty'}
    assert float(losses['mem_empty']) == 0.0  # lambda 0 keeps every address
    losses.pop('mem_empty')
    # uniform-ish initial addressing: entropy near log M, times alpha
    assert 0 < losses['loss_entropy'].item() <= 0.0002 * math.log(20) + 1e-9
    sum(losses.values()).backward()
    for name in ['encoder', 'memory', 'decoder']:
        grads = [p.grad for p in getattr(model, name).parameters()]
        assert all(g is not None and torch.isfinite(g).all()
                   for g in grads), name
        assert any(g.abs().sum() > 0 for g in grads), name


def test_detector_predicts_one_score_per_frame():
    model = _detector().eval()
    x = torch.randn(3, 1, 16, 32, 32)
    with torch.no_grad():
        scores = model(x, mode='tensor')
        samples = model(x, mode='predict')
    assert scores.shape == (3, 16)
    assert (scores >= 0).all()
    assert samples[0].pred_scores.shape == (16, )


def test_detector_without_entropy_loss():
    model = MemAEDetector(
        encoder=dict(type='MemAEEncoder', channels=CHANNELS),
        memory=dict(type='MemoryModule', num_slots=20, feat_dim=8),
        decoder=dict(type='MemAEDecoder', channels=CHANNELS),
        entropy_loss=None)
    assert set(model.loss(torch.randn(2, 1, 16, 16, 16))) == {
        'loss_rec', 'mem_empty'}


def test_detector_reports_addresses_emptied_by_a_high_lambda():
    model = _detector(similarity='cosine', shrink_thres=0.5)  # > e^2 / M
    losses = model.loss(torch.randn(2, 1, 16, 16, 16))
    assert float(losses['mem_empty']) == 1.0
    assert losses['loss_entropy'].item() == 0.0
