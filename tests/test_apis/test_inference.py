"""Offline vs streaming scoring: same scores, bounded memory and latency."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from cbad.apis.scoring import (FramePreprocessor, stream_scorer,
                                 score_offline, window_geometry)
from cbad.registry import MODELS, register_all_modules

register_all_modules()
PIPELINE = [dict(type='LoadClipFrames', to_gray=True),
            dict(type='ResizeClip', size=(12, 16)),
            dict(type='PackClipInputs')]


def _video(length, seed, size=(24, 32)):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            for _ in range(length)]


def _contrastive(model):
    """The session's fitted detector (conftest), a fresh preprocessor and
    its config."""
    return model, FramePreprocessor(model, PIPELINE), model.cfg


def _convae(reduce='mean'):
    model = MODELS.build(dict(
        type='ReconstructionDetector',
        data_preprocessor=dict(type='ClipDataPreprocessor', mean=[127.5],
                               std=[127.5]),
        encoder=dict(type='ConvAEEncoder', in_frames=4, channels=(8, 8, 4)),
        decoder=dict(type='ConvAEDecoder', out_frames=4, channels=(8, 8, 4)),
        scorer=dict(type='ReconstructionErrorScorer'))).eval()
    cfg = Config(dict(
        test_dataloader=dict(dataset=dict(clip_len=4, stride=3)),
        test_evaluator=dict(clip_to_frame=reduce)))
    pipeline = [dict(PIPELINE[0]), dict(PIPELINE[1], size=(48, 64)),
                dict(PIPELINE[2])]
    return model, FramePreprocessor(model, pipeline), cfg


def _stream(model, geometry, frames, chunk):
    scorer = stream_scorer(model, geometry)
    out, held, lag = [], [], []
    for start in range(0, frames.shape[1], chunk):
        got = scorer.push(frames[:, start:start + chunk])
        seen = scorer.frames_seen
        lag.extend(seen - 1 - f for f, _ in got)
        out.extend(got)
        held.append(scorer._inputs.shape[1])
    out.extend(scorer.finish())
    assert [f for f, _ in out] == list(range(frames.shape[1]))
    return np.array([s for _, s in out]), max(held), max(lag, default=0)


@pytest.mark.parametrize('length', [37, 40, 9, 3])
@pytest.mark.parametrize('chunk', [1, 3, 8])
def test_contrastive_stream_equals_offline(length, chunk, contrastive):
    model, pre, cfg = _contrastive(contrastive)
    geometry = window_geometry(model, cfg)
    assert geometry == dict(clip_len=4, stride=2, video_level=True,
                            reduce='mean')
    frames = pre(_video(length, 99))
    offline = score_offline(model, frames, geometry)
    streamed, held, lag = _stream(model, geometry, frames, chunk)
    np.testing.assert_allclose(streamed, offline, rtol=1e-5, atol=1e-6)
    # bounded: one window + one stride + the chunk being pushed
    assert held <= 4 + 2 + chunk
    # latency: at most one window + one stride of frames (plus the rest of
    # the chunk that delivered the frame); the first window's T needs the
    # third window, one stride more, at the start of a stream only
    assert lag <= 4 + 2 - 1 + chunk - 1 + 2


@pytest.mark.parametrize('reduce', ['mean', 'max', 'end'])
@pytest.mark.parametrize('length', [23, 24, 2])
def test_clip_detector_stream_equals_offline(reduce, length):
    torch.manual_seed(0)
    model, pre, cfg = _convae(reduce)
    geometry = window_geometry(model, cfg)
    frames = pre(_video(length, 5))
    offline = score_offline(model, frames, geometry)
    for chunk in (1, 5):
        streamed, held, lag = _stream(model, geometry, frames, chunk)
        np.testing.assert_allclose(streamed, offline, rtol=1e-5, atol=1e-7)
        assert held <= 4 + 3 + chunk
        assert lag <= 4 + 3 - 1 + chunk - 1


def test_streaming_memory_does_not_grow_with_length(contrastive):
    model, pre, cfg = _contrastive(contrastive)
    scorer = stream_scorer(model, window_geometry(model, cfg))
    frames = pre(_video(8, 1))
    sizes = []
    for _ in range(40):  # 320 frames
        scorer.push(frames)
        sizes.append((scorer._inputs.shape[1], scorer._feats.shape[0],
                       len(scorer._acc), len(scorer._windows)))
    assert sizes[-1] == sizes[10]


def test_preprocessor_rejects_mixed_sizes_and_keeps_position():
    model, pre, _ = _convae()
    pre(_video(3, 0))
    with pytest.raises(ValueError, match='frame 4 is'):
        pre(_video(1, 0) + _video(1, 0, size=(30, 32)))


def test_stream_rejects_center_reduce_and_grid():
    model, _, cfg = _convae('center')
    with pytest.raises(ValueError, match='score offline'):
        stream_scorer(model, window_geometry(model, cfg))
    tiny = Config.fromfile(osp.join(osp.dirname(osp.dirname(__file__)),
                                    'configs', 'contrastive_tiny.py')).model
    for branch in (tiny.encoder.spatial, tiny.encoder.temporal):
        branch.pool = 'none'
    grid = MODELS.build(dict(tiny, grid=True))
    geometry = dict(clip_len=4, stride=2, video_level=True, reduce='mean')
    with pytest.raises(NotImplementedError, match='grid mode'):
        stream_scorer(grid, geometry)


def test_finish_after_an_interrupted_push_scores_every_frame():
    model, pre, cfg = _convae()
    geometry = window_geometry(model, cfg)  # clip 4, stride 3
    frames = pre(_video(20, 5))
    offline = score_offline(model, frames, geometry)
    scorer = stream_scorer(model, geometry)
    real, calls = model.predict_frame_scores, []

    def flaky(clips):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(clips)

    model.predict_frame_scores = flaky
    out = scorer.push(frames[:, :9])
    with pytest.raises(KeyboardInterrupt):
        out += scorer.push(frames[:, 9:18])  # its windows 2 and 3 not made
    model.predict_frame_scores = real
    out += scorer.finish()
    assert [f for f, _ in out] == list(range(18))
    np.testing.assert_allclose([s for _, s in out],
                               score_offline(model, frames[:, :18], geometry),
                               rtol=1e-5, atol=1e-7)
    assert offline.shape == (20, )


def test_stride_longer_than_the_window_is_refused():
    model, _, _ = _convae()
    geometry = dict(clip_len=4, stride=5, video_level=False, reduce='mean')
    with pytest.raises(ValueError, match='no window covers'):
        stream_scorer(model, geometry)


def test_a_stride_no_window_can_use_is_refused_before_whole_video_models():
    # checked before "scored offline only", so a bad config fails at once
    model, _, _ = _convae()
    whole = dict(clip_len=4, stride=2, video_level=True, reduce='mean')
    with pytest.raises(NotImplementedError, match='scored offline only'):
        stream_scorer(model, whole)
    with pytest.raises(ValueError, match='no window covers'):
        stream_scorer(model, dict(whole, stride=5))
