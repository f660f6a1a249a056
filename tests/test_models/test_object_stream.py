"""ObjectContrastiveDetector.stream_scorer: the offline frame scores, frame
by frame."""
import numpy as np
import pytest
import torch

from cbad.evaluation.functional import clip_to_frame_scores
from mmengine.config import Config
from test_object_contrastive_detector import (TINY, _scene, build, fitted,
                                              predict, video_batch)


def offline_scores(model, frames):
    out = predict(model, frames)
    return clip_to_frame_scores(np.asarray(out.frame_indices),
                                out.pred_scores.numpy(), len(frames),
                                reduce='max')


def streamed(model, frames, chunk):
    inputs = model.data_preprocessor(
        video_batch('x', 0, frames))['inputs'][0]  # 1 x L x H x W
    scorer = model.stream_scorer()
    pairs, finals = [], []
    for i in range(0, len(frames), chunk):
        got = scorer.push(inputs[:, i:i + chunk])
        pairs += got
        finals.append((i + chunk, len(pairs)))
    pairs += scorer.finish()
    assert [f for f, _ in pairs] == list(range(len(frames)))
    return np.array([s for _, s in pairs]), finals


@pytest.fixture(scope='module')
def smoothed():
    model = build(postprocess=dict(type='TrailingMean', length=5))
    model.load_state_dict(fitted().state_dict())
    return model.eval()


SCENES = {
    # two objects crossing the whole video: long tracks (interior T)
    'long': ((4, 20, 2, 0), (108, 60, -3, 0)),
    # one leaves early (its track ends mid-video), one enters late
    'ends': ((60, 20, 4, 0), (-40, 70, 3, 0)),
}


@pytest.mark.parametrize('scene', sorted(SCENES))
@pytest.mark.parametrize('length', [34, 37])  # 37: an end-aligned tail
@pytest.mark.parametrize('chunk', [1, 4, 7])
def test_streaming_equals_offline(smoothed, scene, length, chunk):
    frames = _scene(length, SCENES[scene], seed=3)
    expected = offline_scores(smoothed, frames)
    got, finals = streamed(smoothed, frames, chunk)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # scores come out while the video plays, not only at the end
    assert any(0 < n for _, n in finals[:-2])


def test_short_video_and_nothing_moving(smoothed):
    for frames in (_scene(5, SCENES['long']), _scene(20, squares=())):
        expected = offline_scores(smoothed, frames)
        got, _ = streamed(smoothed, frames, 3)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_tracks_of_three_tubes_or_more_get_a_temporal_residual(smoothed):
    """T takes part: with its weight alone the streamed scores still equal
    the offline ones and are not all the same."""
    model = build(weights=dict(D=0.0, T=1.0, R=0.0, M=0.0))
    model.load_state_dict(smoothed.state_dict())
    model.eval()
    frames = _scene(40, SCENES['long'], seed=4)
    expected = offline_scores(model, frames)
    got, _ = streamed(model, frames, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert np.ptp(expected) > 0


def test_empty_stream_and_push_after_finish(smoothed):
    scorer = smoothed.stream_scorer()
    assert scorer.finish() == []
    with pytest.raises(RuntimeError, match='after finish'):
        scorer.push(torch.zeros(1, 2, 96, 128))
    with pytest.raises(ValueError, match='fitted'):
        build().stream_scorer()
    with pytest.raises(ValueError, match='no window covers'):
        build(stride=12).stream_scorer()


def test_streaming_equals_offline_with_masked_crops():
    # the crops are masked from each window's own proposals, so a stream
    # that keeps only the last window's frames masks them the same way
    tubes = Config.fromfile(TINY).model.tubes.to_dict()
    model = build(tubes=dict(tubes, mask_background=True))
    model.load_state_dict(fitted().state_dict())
    model.eval()
    frames = _scene(34, SCENES['ends'], seed=3)
    expected = offline_scores(model, frames)
    got, _ = streamed(model, frames, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
