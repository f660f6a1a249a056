import pytest
import torch

from cbad.registry import MODELS, register_all_modules

register_all_modules()

OFF = dict(brightness=0., contrast=0., crop_scale=(1., 1.), noise_std=0.,
           temporal_shift_prob=0.)


def _aug(**kw):
    cfg = dict(type='ClipViewAugment')
    cfg.update(kw)
    return MODELS.build(cfg)


def test_deterministic_under_seed_changes_input_keeps_shape():
    aug = _aug()
    x = torch.randn(3, 3, 4, 12, 16)
    torch.manual_seed(7)
    a = aug(x)
    torch.manual_seed(7)
    b = aug(x)
    assert a.shape == x.shape
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, x)
    assert not torch.allclose(aug(x), a)  # a new draw differs


def test_all_steps_off_is_identity():
    x = torch.randn(2, 1, 3, 8, 8)
    torch.testing.assert_close(_aug(**OFF)(x), x)


def test_temporal_shift_repeats_edge_frame():
    cfg = dict(OFF, temporal_shift_prob=1.0)
    x = torch.arange(4.).view(1, 1, 4, 1, 1).repeat(8, 2, 1, 2, 2)
    torch.manual_seed(0)
    out = _aug(**cfg)(x)
    seen = {tuple(out[n, 0, :, 0, 0].tolist()) for n in range(8)}
    assert seen <= {(0., 0., 1., 2.), (1., 2., 3., 3.)}
    assert len(seen) == 2  # both directions occur in 8 draws (seed 0)
    # every channel and pixel of a clip shifts together
    assert (out == out[:, :1, :, :1, :1]).all()


def test_photometric_steps_are_per_clip_and_bounded():
    x = torch.randn(6, 3, 2, 4, 4)
    torch.manual_seed(0)
    out = _aug(**dict(OFF, brightness=0.3))(x)
    offset = (out - x).flatten(1)
    torch.testing.assert_close(offset, offset[:, :1].expand_as(offset))
    assert offset.abs().max() <= 0.3
    torch.manual_seed(0)
    out = _aug(**dict(OFF, contrast=0.5))(x)
    # contrast keeps each clip's mean
    torch.testing.assert_close(out.mean(dim=(1, 2, 3, 4)),
                               x.mean(dim=(1, 2, 3, 4)))


def test_crop_resize_keeps_constant_clip_and_changes_a_textured_one():
    aug = _aug(**dict(OFF, crop_scale=(0.5, 0.7)))
    flat = torch.full((2, 1, 2, 8, 8), 0.3)
    torch.testing.assert_close(aug(flat), flat)
    ramp = torch.linspace(-1, 1, 8).view(1, 1, 1, 1, 8).expand(2, 1, 2, 8, 8)
    out = aug(ramp.contiguous())
    assert out.shape == ramp.shape and not torch.allclose(out, ramp)
    # a zoom-in narrows the range of the ramp
    assert (out.amax(dim=-1) - out.amin(dim=-1)).max() < 2.0


def test_bad_arguments_and_inputs_raise():
    with pytest.raises(ValueError, match='crop_scale'):
        _aug(crop_scale=(0.9, 0.5))
    with pytest.raises(ValueError, match='contrast'):
        _aug(contrast=1.5)
    with pytest.raises(ValueError, match=r'\(N, C, T, H, W\)'):
        _aug()(torch.randn(3, 4, 8, 8))
    with pytest.raises(ValueError, match='float'):
        _aug()(torch.zeros(1, 3, 2, 4, 4, dtype=torch.uint8))


def test_speed_negative_anchor_and_sped_up_copy():
    aug = MODELS.build(dict(type='SpeedNegative', clip_len=4, speeds=(2, 3)))
    assert aug.load_len == 12
    x = torch.arange(12, dtype=torch.float32).view(1, 1, 12, 1, 1).repeat(
        5, 2, 1, 3, 3)
    torch.manual_seed(0)
    anchor, negative = aug(x)
    assert anchor.shape == negative.shape == (5, 2, 4, 3, 3)
    assert torch.equal(anchor[:, 0, :, 0, 0], torch.arange(4.).repeat(5, 1))
    frames = negative[:, 0, :, 0, 0]  # frame ids of each negative
    speeds = set()
    for row in frames:
        step = int(row[1] - row[0])
        assert torch.equal(row, torch.arange(4.) * step)
        # the same frames in every channel and pixel
        speeds.add(step)
    assert speeds <= {2, 3}
    assert torch.equal(negative[:, 1], negative[:, 0])
    with pytest.raises(ValueError, match='>= 2'):
        MODELS.build(dict(type='SpeedNegative', speeds=(1, )))
