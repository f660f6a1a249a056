"""cbad.models.dims: widths read from the part that feeds them."""
import pytest
import torch
from mmengine.config import Config

from cbad.models.dims import with_dims
from cbad.registry import MODELS, register_all_modules

register_all_modules()


def test_fills_only_what_the_config_leaves_out_and_the_class_takes():
    head = dict(type='ProjectionHead', out_dim=32)
    filled = with_dims(head, in_dim=16, hidden_dim=16, out_dim=16, dim=16)
    # out_dim kept, the others filled, `dim` (not an argument) ignored
    assert filled == dict(type='ProjectionHead', in_dim=16, hidden_dim=16,
                          out_dim=32)
    assert head == dict(type='ProjectionHead', out_dim=32)  # not mutated
    assert with_dims(None, dim=8) is None
    module = torch.nn.Identity()
    assert with_dims(module, dim=8) is module


def test_a_detector_config_names_the_width_once():
    tiny = Config.fromfile('configs/cbad/cbad_synthetic.py').model
    assert 'dim' not in tiny.aggregator and 'in_dim' not in tiny.head
    model = MODELS.build(tiny)
    width = model.encoder.out_dim
    assert model.encoder.fusion.dim == width == model.aggregator.dim
    assert model.prototype_loss.prototypes.shape[-1] == width
    z = model.embed_clips(torch.zeros(2, 1, 16, 64, 96))
    assert model.head(z).shape == (2, width)
    # an explicit, inconsistent width is kept, and fails loudly when used
    tiny.aggregator.dim = width + 1
    broken = MODELS.build(tiny)
    with pytest.raises(ValueError, match='set dim to the encoder out_dim'):
        broken.embed_clips(torch.zeros(2, 1, 16, 64, 96))
