import pytest
import torch

from cbad.registry import MODELS, register_all_modules

register_all_modules()


@pytest.mark.parametrize('cfg', [
    dict(type='GatedFusion', dim=4), dict(type='ConcatFusion', dim=4),
    dict(type='SumFusion'), dict(type='SpatialOnlyFusion')
])
def test_shapes_with_any_leading_dims(cfg):
    fusion = MODELS.build(cfg)
    for shape in [(2, 3, 4), (2, 3, 2, 2, 4)]:
        s, m = torch.randn(shape), torch.randn(shape)
        assert fusion(s, m).shape == shape


def test_gated_zero_weights_give_mean_of_s_and_m():
    fusion = MODELS.build(dict(type='GatedFusion', dim=3))
    for p in fusion.parameters():
        torch.nn.init.zeros_(p)
    s, m = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
    torch.testing.assert_close(fusion(s, m), (s + m) / 2)


def test_gated_hand_value():
    fusion = MODELS.build(dict(type='GatedFusion', dim=2))
    with torch.no_grad():
        fusion.W_s.weight.copy_(torch.eye(2))
        fusion.W_m.weight.zero_()
        fusion.W_m.bias.copy_(torch.tensor([0., 1.]))
    s = torch.tensor([[[0., 1.]]])
    m = torch.tensor([[[4., -2.]]])
    g = torch.sigmoid(torch.tensor([0., 2.]))  # W_s s + b
    expected = g * s + (1 - g) * m
    torch.testing.assert_close(fusion(s, m), expected)
    assert fusion.gate(s, m).min() > 0 and fusion.gate(s, m).max() < 1


def test_concat_and_sum_hand_values():
    concat = MODELS.build(dict(type='ConcatFusion', dim=2))
    with torch.no_grad():
        concat.proj.weight.copy_(torch.cat([torch.eye(2), 2 * torch.eye(2)],
                                           dim=1))
        concat.proj.bias.fill_(1.)
    s, m = torch.tensor([[[1., 2.]]]), torch.tensor([[[3., -1.]]])
    assert concat(s, m).flatten().tolist() == [8., 1.]
    assert MODELS.build(dict(type='SumFusion'))(s, m).flatten().tolist() == [
        4., 1.
    ]
    torch.testing.assert_close(
        MODELS.build(dict(type='SpatialOnlyFusion'))(s, None), s)


@pytest.mark.parametrize('kind', ['GatedFusion', 'ConcatFusion'])
def test_gradients_reach_every_parameter_and_both_inputs(kind):
    fusion = MODELS.build(dict(type=kind, dim=4))
    s = torch.randn(2, 3, 4, requires_grad=True)
    m = torch.randn(2, 3, 4, requires_grad=True)
    fusion(s, m).pow(2).sum().backward()
    for name, p in fusion.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert s.grad.abs().sum() > 0 and m.grad.abs().sum() > 0


def test_wrong_inputs_raise():
    gated = MODELS.build(dict(type='GatedFusion', dim=4))
    with pytest.raises(ValueError, match='same shape'):
        gated(torch.randn(2, 3, 4), torch.randn(2, 2, 4))
    with pytest.raises(ValueError, match='dim=4'):
        gated(torch.randn(2, 3, 5), torch.randn(2, 3, 5))
    with pytest.raises(ValueError, match='got None'):
        MODELS.build(dict(type='SumFusion'))(torch.randn(1, 1, 4), None)
