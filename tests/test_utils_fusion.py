"""The scoring encoder: a BatchNorm-folded copy that can never go stale."""
import os.path as osp

import torch
from mmengine.config import Config
from torch import nn

from cbad.registry import MODELS, register_all_modules
from cbad.utils.fusion import FusedInferenceCopy

register_all_modules()
TINY = osp.join(osp.dirname(__file__), 'configs', 'contrastive_tiny.py')


def _trained_detector():
    model = MODELS.build(Config.fromfile(TINY).model.to_dict())
    # non-trivial running statistics and affine parameters
    with torch.no_grad():
        for module in model.encoder.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    return model.eval()


def test_folded_copy_scores_as_the_encoder_and_leaves_it_alone():
    model = _trained_detector()
    keys = set(model.state_dict())
    clips = torch.randn(3, 1, 4, 12, 16)
    with torch.no_grad():
        folded = model.scoring_encoder()
        assert folded is not model.encoder
        assert not any(isinstance(m, nn.BatchNorm2d)
                       for m in folded.modules())
        torch.testing.assert_close(folded(clips), model.encoder(clips),
                                   rtol=1e-4, atol=1e-5)
        assert model.scoring_encoder() is folded  # cached
    assert set(model.state_dict()) == keys  # no BatchNorm lost or added
    # training mode or gradients: the encoder itself
    assert model.scoring_encoder() is model.encoder
    with torch.no_grad():
        assert model.train().scoring_encoder() is model.encoder


def test_folded_copy_is_rebuilt_when_the_weights_change():
    model = _trained_detector()
    clips = torch.randn(2, 1, 4, 12, 16)
    with torch.no_grad():
        before = model.embed_clips(clips)
        state = {k: v.clone() for k, v in model.state_dict().items()}
        for name, value in state.items():
            if name.startswith('encoder.') and value.is_floating_point():
                value.mul_(1.5)
        model.load_state_dict(state)  # in place: versions bump
        after = model.embed_clips(clips)
        expected = model.aggregator(model.encoder(clips))
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, expected, rtol=1e-4, atol=1e-5)


def test_cache_follows_the_module_it_is_given():
    cache = FusedInferenceCopy()
    a = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).eval()
    b = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).eval()
    assert cache.get(a) is cache.get(a)
    x = torch.randn(1, 1, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(cache.get(b)(x), b(x))


def test_folded_copy_sees_writes_through_data():
    """``.data`` writes skip the version counter; the norms still see them."""
    model = _trained_detector()
    clips = torch.randn(2, 1, 4, 12, 16)
    with torch.no_grad():
        before = model.embed_clips(clips)
        for p in model.encoder.parameters():
            p.data.mul_(0.5)
        after = model.embed_clips(clips)
        expected = model.aggregator(model.encoder(clips))
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, expected, rtol=1e-4, atol=1e-5)
