import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from cbad.engine import fit_detector
from cbad.registry import MODELS, register_all_modules
from cbad.structures import ClipDataSample

register_all_modules()
D = 16


TINY = osp.join(osp.dirname(osp.dirname(__file__)), 'configs',
               'contrastive_tiny.py')


def build(scorers=None, weights=None, pool='avg', **kwargs):
    """The tiny detector of tests/configs/contrastive_tiny.py, overridden."""
    cfg = Config.fromfile(TINY).model.to_dict()
    for branch in ('spatial', 'temporal'):
        cfg['encoder'][branch]['pool'] = pool
    if scorers is not None:
        cfg['scorers'] = scorers
    cfg['fusion']['weights'] = weights or {k: 1.0 for k in cfg['scorers']}
    cfg.update(kwargs)
    return MODELS.build(cfg)


def video_batch(name, length, seed):
    g = torch.Generator().manual_seed(seed)
    frames = torch.randint(0, 256, (1, length, 12, 16), generator=g,
                           dtype=torch.uint8)
    sample = ClipDataSample(metainfo=dict(video=name, video_index=seed,
                                          num_frames=length))
    return dict(inputs=[frames], data_samples=[sample])


def clip_batch():
    samples = [ClipDataSample(metainfo=dict(
        video_index=v, frame_indices=np.arange(s, s + 4), motion_group=g))
        for v, s, g in [(0, 0, 0), (0, 2, 1), (1, 0, 2), (1, 2, 0)]]
    inputs = torch.randn(4, 1, 4, 12, 16)
    return inputs, samples


def test_loss_terms_and_gradients():
    model = build()
    inputs, samples = clip_batch()
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_ins', 'loss_pro', 'loss_tem'}
    sum(losses.values()).backward()
    for name, p in model.encoder.named_parameters():
        assert p.grad is not None, name
    assert model.aggregator.q.grad is not None


def test_prototype_loss_without_groups_is_a_clear_error():
    model = build()
    inputs, samples = clip_batch()
    for s in samples:
        s.set_metainfo(dict(motion_group=None))
        del s.motion_group
    with pytest.raises(KeyError, match='motion_groups'):
        model(inputs, samples, mode='loss')


def test_video_features_are_computed_once_and_match_clip_embedding():
    model = build().eval()
    batch = model.data_preprocessor(video_batch('v', 11, 0))
    frames = batch['inputs'][0]  # C x L x H x W
    z, windows = model.embed_video(frames)
    assert windows.shape == (5, 4) and z.shape == (5, D)
    # window 1 (frames 2..5) through the clip path, with its real previous
    # frame, gives the same vector as pooling the per-video features
    clip = frames[:, 2:6].unsqueeze(0)
    u = model.encoder.encode_frames(clip, frames[:, 1].unsqueeze(0))
    z1 = torch.nn.functional.normalize(model.aggregator(u), dim=-1)
    torch.testing.assert_close(z[1], z1[0], atol=1e-5, rtol=1e-4)


def test_fit_predict_and_state_round_trip():
    model = build()
    train = [video_batch(f't{i}', 12, i) for i in range(3)]
    val = [video_batch(f'v{i}', 10, 10 + i) for i in range(2)]
    assert not model.is_fitted
    fit_detector(model, train, val, segment_len=4, segment_stride=2)
    assert model.is_fitted and torch.isfinite(model.threshold)
    model.eval()
    test = model.data_preprocessor(video_batch('x', 9, 99))
    out = model(**test, mode='predict')[0]
    assert np.asarray(out.frame_indices).shape == (4, 4)
    assert out.pred_scores.shape == (4, )
    for term in 'DTR':
        assert getattr(out, f'pred_terms_{term}').shape == (4, )
    fresh = build()
    fresh.load_state_dict(model.state_dict())
    assert fresh.is_fitted
    fresh.eval()
    again = fresh(**model.data_preprocessor(video_batch('x', 9, 99)),
                  mode='predict')[0]
    torch.testing.assert_close(again.pred_scores, out.pred_scores)


def test_fusion_weights_must_name_scorers():
    with pytest.raises(ValueError, match='no scorer'):
        build(scorers=dict(C=dict(type='CentreDistanceScorer')),
              weights=dict(C=0.5, R=0.5))


def test_grid_mode_scores_the_most_anomalous_cell():
    model = build(pool='none', grid=True, bank_size=100)
    inputs, samples = clip_batch()
    losses = model(inputs, samples, mode='loss')  # trains on the pooled grid
    assert torch.isfinite(sum(losses.values()))
    model.eval()
    frames = model.data_preprocessor(video_batch('v', 11, 0))['inputs'][0]
    z, windows = model.embed_video(frames)
    assert z.shape == (5, 3 * 4, D)  # 12x16 input, two stride-2 blocks
    train = [video_batch(f't{i}', 12, i) for i in range(3)]
    val = [video_batch(f'v{i}', 10, 10 + i) for i in range(2)]
    fit_detector(model, train, val, segment_len=4, segment_stride=2)
    terms = model.score_terms(z)
    assert all(t.shape == (5, 12) for t in terms.values())
    # 3 videos x 5 windows x 12 cells = 180 cells, subsampled to 100
    assert model.scorers['R'].memory_bank.shape == (100, D)
    out = model(**model.data_preprocessor(video_batch('x', 9, 99)),
                mode='predict')[0]
    assert out.pred_scores.shape == (4, )
    z, _ = model.embed_video(
        model.data_preprocessor(video_batch('x', 9, 99))['inputs'][0])
    fused = model.fusion(model.score_terms(z))  # windows x cells
    torch.testing.assert_close(out.pred_scores, fused.amax(dim=1))


def test_grid_flag_must_match_the_branches():
    with pytest.raises(ValueError, match="pool='none'"):
        build(grid=True)


def test_speed_negative_enters_the_instance_loss():
    speed = dict(type='SpeedNegative', clip_len=4, speeds=(2, ))
    model = build(speed_negative=speed)
    inputs, samples = clip_batch()
    long_inputs = torch.randn(4, 1, 8, 12, 16)
    losses = model(long_inputs, samples, mode='loss')
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in model.encoder.parameters())
    # more negatives in the denominator: the same anchors and (unperturbed)
    # views give a larger instance loss than without the sped-up copies
    model.view_augment = None
    with_neg = model(long_inputs, samples, mode='loss')['loss_ins']
    model.speed_negative = None
    without = model(long_inputs[:, :, :4], samples, mode='loss')['loss_ins']
    assert with_neg.item() > without.item()
    with pytest.raises(ValueError, match='clip_len'):
        build(speed_negative=dict(type='SpeedNegative', clip_len=8))
    with pytest.raises(ValueError, match='set the training dataset'):
        build(speed_negative=speed)(inputs, samples, mode='loss')
