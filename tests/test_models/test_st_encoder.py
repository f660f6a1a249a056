import pytest
import torch

from cbad.registry import MODELS, register_all_modules

register_all_modules()

D = 16


def _branch(kind, **kw):
    cfg = dict(type=kind, in_channels=3, channels=(4, 8), out_dim=D)
    cfg.update(kw)
    return cfg


def _encoder(fusion='GatedFusion', temporal=True, **kw):
    fusion_cfg = dict(type=fusion)
    if fusion in ('GatedFusion', 'ConcatFusion'):
        fusion_cfg['dim'] = D
    return MODELS.build(
        dict(type='SpatioTemporalEncoder',
             spatial=_branch('SpatialConvBranch', **kw),
             temporal=(_branch('TemporalDiffBranch', **kw)
                       if temporal else None),
             fusion=fusion_cfg))


def test_shapes_vector_and_grid():
    x = torch.randn(2, 3, 4, 16, 24)
    assert _encoder()(x).shape == (2, 4, D)
    # two stride-2 blocks: 16x24 -> 4x6 grid of local features
    assert _encoder(pool='none')(x).shape == (2, 4, 4, 6, D)
    s, m = _encoder().frame_features(x)
    assert s.shape == m.shape == (2, 4, D)


def test_first_frame_gets_zero_difference_and_prev_frame_is_used():
    from cbad.models.encoders import TemporalDiffBranch
    frames = torch.arange(3.).view(1, 1, 3, 1, 1) ** 2  # 0, 1, 4
    diffs = TemporalDiffBranch.frame_differences(frames)
    assert diffs.flatten().tolist() == [0., 1., 3.]
    prev = torch.full((1, 1, 1, 1), -2.)
    diffs = TemporalDiffBranch.frame_differences(frames, prev)
    assert diffs.flatten().tolist() == [2., 1., 3.]


@pytest.mark.parametrize('norm_cfg,train', [(dict(type='BN'), False),
                                            (dict(type='GN', num_groups=2),
                                             True)])
def test_encode_frames_in_two_chunks_equals_one_call(norm_cfg, train):
    torch.manual_seed(0)
    enc = _encoder(norm_cfg=norm_cfg).train(train)
    video = torch.randn(1, 3, 7, 16, 16)
    with torch.no_grad():
        whole = enc.encode_frames(video)
        first = enc.encode_frames(video[:, :, :3])
        second = enc.encode_frames(video[:, :, 3:], prev_frame=video[:, :, 2])
    torch.testing.assert_close(torch.cat([first, second], 1), whole)
    # without prev_frame the chunk's first step differs (zero difference)
    with torch.no_grad():
        alone = enc.encode_frames(video[:, :, 3:])
    assert not torch.allclose(alone[:, 0], whole[:, 3])
    torch.testing.assert_close(alone[:, 1:], whole[:, 4:])


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    enc = _encoder()
    agg = MODELS.build(dict(type='TemporalAttentionAggregator', dim=D))
    head = MODELS.build(
        dict(type='ProjectionHead', in_dim=D, hidden_dim=8, out_dim=D))
    loss_fn = MODELS.build(dict(type='InstanceContrastLoss',
                                mask_same_video=False))
    x = torch.randn(3, 3, 4, 16, 16)
    z_a = head(agg(enc(x)))
    z_b = head(agg(enc(x + 0.1 * torch.randn_like(x))))
    loss_fn(z_a, z_b).backward()
    for module in (enc, agg, head):
        for name, p in module.named_parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_embeddings_are_spread_not_a_narrow_cone():
    # PAPER.md: ReLU features + gate put all embeddings in one narrow cone
    # (per-dim spread ~0.02 vs ~1/sqrt(D) when spread evenly). The signed
    # branch outputs and the gate-weighted fusion avoid that.
    torch.manual_seed(0)
    enc = _encoder()
    agg = MODELS.build(dict(type='MeanPoolAggregator'))
    with torch.no_grad():
        z = agg(enc(torch.randn(32, 3, 4, 16, 16)))
    z = torch.nn.functional.normalize(z, dim=1)
    assert z.std(dim=0).mean() > 0.5 * D**-0.5
    cos = z @ z.t()
    off_diag = cos[~torch.eye(32, dtype=torch.bool)]
    assert off_diag.mean() < 0.5


def test_spatial_only_needs_no_temporal_branch():
    enc = _encoder(fusion='SpatialOnlyFusion', temporal=False)
    x = torch.randn(1, 3, 2, 16, 16)
    torch.testing.assert_close(enc(x), enc.spatial(x))
    with pytest.raises(ValueError, match='temporal is None'):
        _encoder(fusion='GatedFusion', temporal=False)


def test_wrong_inputs_raise_clear_errors():
    enc = _encoder()
    with pytest.raises(ValueError, match=r'\(N, 3, T, H, W\)'):
        enc(torch.randn(1, 1, 2, 16, 16))
    with pytest.raises(ValueError, match='prev_frame'):
        enc(torch.randn(1, 3, 2, 16, 16), prev_frame=torch.randn(1, 3, 8, 8))
    with pytest.raises(ValueError, match='agree on out_dim'):
        MODELS.build(dict(
            type='SpatioTemporalEncoder',
            spatial=_branch('SpatialConvBranch'),
            temporal=_branch('TemporalDiffBranch', out_dim=8),
            fusion=dict(type='SumFusion')))
    with pytest.raises(ValueError, match='strides'):
        MODELS.build(_branch('SpatialConvBranch', strides=(2, )))


def test_projection_head_shapes_layers_and_errors():
    head = MODELS.build(
        dict(type='ProjectionHead', in_dim=D, hidden_dim=8, out_dim=4))
    assert head(torch.randn(3, D)).shape == (3, 4)
    assert head(torch.randn(2, 5, D)).shape == (2, 5, 4)
    linear = MODELS.build(
        dict(type='ProjectionHead', in_dim=D, out_dim=4, num_layers=1))
    assert [type(m).__name__ for m in linear.layers] == ['Linear']
    with pytest.raises(ValueError, match=r'\(N, 16\)'):
        head(torch.randn(3, 8))
