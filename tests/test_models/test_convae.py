import numpy as np
import pytest
import torch

from cbad.registry import MODELS, register_all_modules
from cbad.structures import ClipDataSample

register_all_modules()


def _convae(scorer=dict(type='ReconstructionErrorScorer', reduce='mean')):
    return MODELS.build(
        dict(
            type='ReconstructionDetector',
            data_preprocessor=dict(
                type='ClipDataPreprocessor', mean=[127.5], std=[127.5]),
            encoder=dict(type='ConvAEEncoder', in_frames=4, channels=(8, 8, 4)),
            decoder=dict(type='ConvAEDecoder', out_frames=4, channels=(8, 8, 4)),
            scorer=scorer))


def test_encoder_decoder_shapes_any_size():
    model = _convae()
    for size in [(64, 96), (50, 70)]:
        x = torch.randn(2, 1, 4, *size)
        code = model.encoder(x)
        assert code.shape[:2] == (2, 4)
        assert model.reconstruct(x).shape == x.shape


def test_encoder_rejects_wrong_clip():
    model = _convae()
    with pytest.raises(ValueError, match=r'\(N, 1, 4, H, W\)'):
        model.encoder(torch.randn(2, 3, 4, 32, 32))


def test_loss_has_gradients_for_every_parameter():
    model = _convae()
    losses = model(torch.randn(2, 1, 4, 32, 48), mode='loss')
    losses['loss_rec'].backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_reconstruction_loss_value():
    loss = MODELS.build(dict(type='ReconstructionLoss', p=2, loss_weight=2.))
    pred = torch.zeros(1, 1, 1, 2, 2)
    target = torch.tensor([1., 2., 0., 0.]).view(1, 1, 1, 2, 2)
    assert loss(pred, target).item() == pytest.approx(2 * (1 + 4) / 4)
    l1 = MODELS.build(dict(type='ReconstructionLoss', p=1))
    assert l1(pred, target).item() == pytest.approx(3 / 4)


def test_scorer_mean_and_patch_max_hand_values():
    target = torch.zeros(1, 1, 2, 8, 8)
    pred = torch.zeros(1, 1, 2, 8, 8)
    pred[0, 0, 1, :2, :2] = 2.0  # frame 1: a small 2x2 blob of error 4
    mean = MODELS.build(dict(type='ReconstructionErrorScorer', reduce='mean'))
    np.testing.assert_allclose(mean(pred, target)[0].numpy(),
                               [0.0, 4 * 4 / 64])
    patch = MODELS.build(
        dict(type='ReconstructionErrorScorer', reduce='patch_max',
             patch_size=4, patch_stride=4))
    # the top-left 4x4 patch holds the blob: 16 / 16 = 1
    np.testing.assert_allclose(patch(pred, target)[0].numpy(), [0.0, 1.0])


def test_predict_attaches_scores_and_threshold():
    model = _convae()
    model.threshold.fill_(0.5)
    samples = [ClipDataSample(metainfo=dict(video='a')) for _ in range(2)]
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (1, 4, 32, 32), dtype=torch.uint8)
                     for _ in range(2)],
             data_samples=samples))
    out = model(**data, mode='predict')
    assert out[0].pred_scores.shape == (4, )
    assert out[0].pred_threshold == 0.5
    assert model.is_fitted


def test_threshold_buffer_is_in_state_dict():
    model = _convae()
    assert 'threshold' in model.state_dict()
    assert not model.is_fitted
