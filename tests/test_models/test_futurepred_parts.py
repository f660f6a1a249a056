"""Parts of Future Frame Prediction: U-Net, discriminator, losses, PSNR."""
import math

import pytest
import torch
import torch.nn.functional as F

from cbad.models.heads import PatchDiscriminator, UNetPredictor
from cbad.models.losses import (AdversarialLoss, FlowLoss, GradientLoss,
                                IntensityLoss)
from cbad.models.losses.flow_loss import lucas_kanade_flow
from cbad.models.scorers import PSNRScorer


def test_unet_predicts_one_frame_for_odd_sizes_with_gradients():
    torch.manual_seed(0)
    net = UNetPredictor(in_frames=4, in_channels=1, base_channels=4,
                        num_stages=3)
    x = torch.randn(2, 1, 4, 30, 45, requires_grad=True)
    out = net(x)
    assert out.shape == (2, 1, 30, 45)
    assert out.abs().max() <= 1  # tanh output, frames in [-1, 1]
    out.sum().backward()
    assert x.grad.abs().sum() > 0
    assert all(p.grad is not None for p in net.parameters())


def test_unet_rejects_wrong_frame_count():
    net = UNetPredictor(in_frames=4, base_channels=4, num_stages=2)
    with pytest.raises(ValueError, match='in_frames'):
        net(torch.randn(1, 1, 5, 16, 16))


def test_patch_discriminator_scores_patches():
    net = PatchDiscriminator(in_channels=1, base_channels=4, num_layers=2)
    out = net(torch.randn(3, 1, 32, 48))
    # 32x48 -> 16x24 -> 8x12 -> (k4 s1 p1) 7x11 -> 6x10
    assert out.shape == (3, 1, 6, 10)


def test_the_authors_layout_options_keep_the_parameters():
    """FFP's code: ReLU after each up-convolution, an unnormalised
    discriminator with reflection padding. Both options add no parameter,
    so a checkpoint of either layout loads into the other."""
    torch.manual_seed(0)
    plain = UNetPredictor(in_frames=2, base_channels=4, num_stages=3)
    relu = UNetPredictor(in_frames=2, base_channels=4, num_stages=3,
                         up_act=True)
    relu.load_state_dict(plain.state_dict())  # same keys and shapes
    x = torch.randn(1, 1, 2, 16, 20)
    assert not torch.allclose(plain(x), relu(x))
    # the up-convolutions' outputs are what the option clips
    seen = []
    hook = relu.up[0].register_forward_pre_hook(
        lambda module, args: seen.append(args[0]))
    relu(x)
    hook.remove()
    width = relu.upsample[0].out_channels  # first half: up-conv output
    assert seen[0][:, :width].min() >= 0
    zeros = PatchDiscriminator(base_channels=4, norm_cfg=None)
    reflect = PatchDiscriminator(base_channels=4, norm_cfg=None,
                                 padding_mode='reflect')
    reflect.load_state_dict(zeros.state_dict())
    frame = torch.randn(2, 1, 32, 32)
    assert reflect(frame).shape == zeros(frame).shape
    assert not torch.allclose(reflect(frame), zeros(frame))
    assert not any('bn' in k or 'norm' in k for k in zeros.state_dict())


def test_intensity_loss_is_mean_squared_error():
    pred, target = torch.zeros(1, 1, 2, 2), torch.tensor(
        [[[[1., 2.], [0., 1.]]]])
    assert IntensityLoss()(pred, target).item() == pytest.approx(1.5)
    assert IntensityLoss(p=1, loss_weight=2)(pred, target).item() == \
        pytest.approx(2.0)


def test_gradient_loss_zero_on_identical_and_shifted_images():
    x = torch.randn(2, 1, 16, 16)
    loss = GradientLoss()
    assert loss(x, x.clone()).item() == 0
    # A constant offset changes intensities but not gradients.
    assert loss(x + 0.5, x).item() == pytest.approx(0, abs=1e-6)
    # A blurred image has weaker gradients than the original.
    blurred = F.avg_pool2d(x, 3, stride=1, padding=1)
    assert loss(blurred, x).item() > 0.1


def test_adversarial_loss_least_squares_and_weight():
    loss = AdversarialLoss(loss_weight=0.05)
    scores = torch.full((2, 1, 3, 3), 0.5)
    assert loss(scores, True, is_disc=True).item() == pytest.approx(0.125)
    assert loss(scores, True).item() == pytest.approx(0.05 * 0.125)
    assert loss(torch.zeros(1, 1, 2, 2), False, is_disc=True).item() == 0


def _blob(shift: float) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(32.), torch.arange(32.),
                            indexing='ij')
    return torch.exp(-((xs - 16 - shift)**2 + (ys - 16)**2) / 20).view(
        1, 1, 32, 32)


def test_lucas_kanade_recovers_a_one_pixel_shift():
    flow = lucas_kanade_flow(_blob(0), _blob(1), window_size=5, eps=1e-4)
    centre = flow[0, :, 12:21, 12:21].mean(dim=(1, 2))
    assert centre[0].item() == pytest.approx(1.0, abs=0.3)  # u: +x
    assert abs(centre[1].item()) < 0.05  # v: no vertical motion
    still = lucas_kanade_flow(_blob(0), _blob(0))
    assert still.abs().max().item() == 0


@pytest.mark.parametrize('method', ['lucas_kanade', 'abs_difference'])
def test_flow_loss_zero_for_perfect_prediction_and_differentiable(method):
    previous, target = _blob(0), _blob(1)
    loss = FlowLoss(method=method, loss_weight=2.0)
    assert loss(target.clone(), target, previous).item() == 0
    pred = (0.5 * (previous + target)).requires_grad_(True)  # half motion
    value = loss(pred, target, previous)
    value.backward()
    assert value.item() > 0 and pred.grad.abs().sum() > 0


def test_flow_loss_rejects_unknown_method():
    with pytest.raises(ValueError, match='lucas_kanade'):
        FlowLoss(method='flownet2')


def test_psnr_identical_frames_is_the_finite_cap():
    scorer = PSNRScorer(data_range=2.0, max_psnr=100.0)
    x = torch.rand(3, 1, 8, 8) * 2 - 1
    psnr = scorer.psnr(x, x.clone())
    assert torch.isfinite(psnr).all()
    assert torch.allclose(psnr, torch.full((3, ), 100.0))
    assert torch.equal(scorer(x, x.clone()), torch.zeros(3))


def test_psnr_value_and_ordering():
    scorer = PSNRScorer(data_range=2.0, max_psnr=100.0)
    target = torch.zeros(2, 1, 4, 4)
    pred = torch.stack([torch.full((1, 4, 4), 0.2),
                        torch.full((1, 4, 4), 0.4)])
    psnr = scorer.psnr(pred, target)
    assert psnr[0].item() == pytest.approx(10 * math.log10(4 / 0.04),
                                           rel=1e-5)  # 20 dB
    scores = scorer(pred, target)
    assert scores[1] > scores[0] > 0  # worse prediction, larger score
