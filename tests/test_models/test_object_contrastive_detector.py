import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from cbad.engine import fit_detector, fit_threshold, frame_scores_by_video
from cbad.evaluation.functional import clip_to_frame_scores
from cbad.models.detectors.object_contrastive_detector import \
    ObjectContrastiveDetector
from cbad.registry import MODELS, register_all_modules
from cbad.structures import ClipDataSample, window_starts
from cbad.utils.checkpoint import load_checkpoint_strictly
from cbad.visualization import response_maps

register_all_modules()
TINY = osp.join(osp.dirname(osp.dirname(__file__)), 'configs',
                'objects_tiny.py')
HEIGHT, WIDTH, SIDE = 96, 128, 16
CLIP_LEN, STRIDE, CROP, D = 8, 4, 16, 16
M_ONLY = dict(D=0.0, T=0.0, R=0.0, M=1.0)


def build(weights=None, **kwargs):
    """The tiny detector of tests/configs/objects_tiny.py, overridden."""
    torch.manual_seed(0)
    cfg = Config.fromfile(TINY).model.to_dict()
    if weights is not None:
        cfg['fusion']['weights'] = weights
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _scene(num_frames=28, squares=((4, 40, 2, 0), ), seed=0):
    """(L, H, W) uint8: textured squares (x0, y0, vx, vy) moving at constant
    speed over a blurred random background (entering and leaving it at the
    left and right edges)."""
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(
        rng.integers(0, 120, (HEIGHT, WIDTH)).astype(np.uint8), (5, 5), 0)
    texture = rng.integers(170, 256, (SIDE, SIDE)).astype(np.uint8)
    frames = np.repeat(background[None], num_frames, axis=0)
    for t in range(num_frames):
        for x0, y0, vx, vy in squares:
            x, y = int(x0 + vx * t), int(y0 + vy * t)
            left, right = max(x, 0), min(x + SIDE, WIDTH)
            if right > left:
                frames[t, y:y + SIDE, left:right] = texture[:, left - x:
                                                            right - x]
    return frames


def video_batch(name, index, frames):
    """A loader batch of one whole grey video, as sample_unit='video'
    datasets with PackClipInputs give it."""
    sample = ClipDataSample(metainfo=dict(video=name, video_index=index,
                                          num_frames=len(frames)))
    return dict(inputs=[torch.from_numpy(frames)[None]],
                data_samples=[sample])


def slow_videos(first_index, count, speed=2):
    """Normal videos: one square at ``speed`` px/frame, lane by index."""
    return [video_batch(f'n{i}', i, _scene(28, ((4, 8 + 20 * (i % 4), speed,
                                                 0), ), seed=i))
            for i in range(first_index, first_index + count)]


def fitted(weights=None):
    model = build(weights)
    fit_detector(model, slow_videos(0, 3), slow_videos(3, 2), segment_len=CLIP_LEN,
              segment_stride=STRIDE, clip_to_frame='max')
    return model.eval()


def predict(model, frames, name='x'):
    data = model.data_preprocessor(video_batch(name, 99, frames))
    with torch.no_grad():
        return model(**data, mode='predict')[0]


@pytest.fixture(scope='module')
def model():
    return fitted()


def tube_batch(tracks=(0, 0, 1, 1, 0, 0)):
    """Six tubes of two videos: per video, two objects' tubes in windows
    starting at 0 and 4 (consecutive), with motion groups."""
    samples = [ClipDataSample(metainfo=dict(
        video_index=i // 4, frame_indices=np.arange(s, s + CLIP_LEN),
        motion_group=i % 3, track_id=track))
        for i, (s, track) in enumerate(zip((0, 4, 0, 4, 0, 4), tracks))]
    return torch.randn(6, 1, CLIP_LEN, CROP, CROP), samples


def test_loss_on_tubes_is_finite_with_gradients():
    model = build()
    inputs, samples = tube_batch()
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_ins', 'loss_pro', 'loss_tem'}
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_tem'] > 0  # tracks 0 and 1 have consecutive tubes
    sum(losses.values()).backward()
    for name, p in model.encoder.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert model.aggregator.q.grad is not None
    with pytest.raises(ValueError, match='tube data samples'):
        model(inputs, None, mode='loss')


def test_smoothness_pairs_consecutive_tubes_of_one_track_only():
    model = build()
    inputs, _ = tube_batch()
    # every tube its own track: no pair, even within one video
    _, samples = tube_batch(tracks=(0, 1, 2, 3, 4, 5))
    assert model(inputs, samples, mode='loss')['loss_tem'] == 0
    # untracked tubes (-1) are not one track either
    _, samples = tube_batch(tracks=(-1, ) * 6)
    assert model(inputs, samples, mode='loss')['loss_tem'] == 0


@pytest.mark.parametrize('num_frames', [1, 5, 8, 9, 12, 13, 22, 30])
def test_own_frames_give_every_frame_exactly_one_window(num_frames):
    starts = window_starts(num_frames, CLIP_LEN, STRIDE)
    windows = np.minimum(starts[:, None] + np.arange(CLIP_LEN),
                         num_frames - 1)
    own = ObjectContrastiveDetector._own_frames(windows)
    assert own.shape == windows.shape and own.dtype == bool
    assert own[0].all()  # the first window speaks for all its frames
    owner = np.full(num_frames, -1)
    for w in range(len(windows)):
        for f in np.unique(windows[w][own[w]]):
            assert owner[f] == -1, f'frame {f} owned twice'
            owner[f] = w
    assert (owner >= 0).all()
    # a frame belongs to the first window that ends on or after it
    ends = windows.max(1)
    np.testing.assert_array_equal(
        owner, [np.flatnonzero(ends >= f)[0] for f in range(num_frames)])
    if num_frames == 22:  # starts 0, 4, 8, 12 and the end-aligned 14
        np.testing.assert_array_equal(windows[-1][own[-1]], [20, 21])
    # with the floor elsewhere, a max over windows is the owner's value
    values = torch.arange(len(windows), dtype=torch.float32) + 1
    evidence = build()._frame_evidence(values, own, floor=0.0)
    frames = clip_to_frame_scores(list(windows), list(evidence.numpy()),
                                  num_frames, reduce='max')
    np.testing.assert_array_equal(frames, values.numpy()[owner])


def test_fit_sets_the_floor_of_empty_windows(model):
    fresh = build()
    assert not fresh.is_fitted
    assert torch.isnan(fresh.empty_window_score)
    assert model.is_fitted
    floor = float(model.empty_window_score)
    assert np.isfinite(floor) and np.isfinite(float(model.threshold))
    # the floor is the smallest fused score of the validation tubes
    val_scores = torch.cat([predict(model, b['inputs'][0][0].numpy())
                            .pred_tube_scores for b in slow_videos(3, 2)])
    assert floor == pytest.approx(float(val_scores.min()))
    # fitting on footage where nothing moves is refused clearly
    still = [video_batch('s', 0, _scene(20, squares=()))]
    with pytest.raises(ValueError, match='No tube in any fitting video'):
        fit_detector(build(), still, slow_videos(3, 2), clip_to_frame='max')
    with pytest.raises(ValueError, match='fit_train_dataloader'):
        fit_detector(build(), None, slow_videos(3, 2), clip_to_frame='max')


def test_predict_gives_per_frame_evidence_of_each_window(model):
    frames = _scene(30, ((4, 20, 2, 0), (100, 60, -3, 0)), seed=7)
    out = predict(model, frames)
    windows = np.asarray(out.frame_indices)
    num_windows = len(window_starts(30, CLIP_LEN, STRIDE))
    assert windows.shape == (num_windows, CLIP_LEN)
    assert out.num_frames == 30
    assert out.pred_scores.shape == (num_windows, CLIP_LEN)
    assert torch.isfinite(out.pred_scores).all()
    floor = float(model.empty_window_score)
    own = torch.from_numpy(ObjectContrastiveDetector._own_frames(windows))
    assert (out.pred_scores[~own] == floor).all()
    # on its own frames a window has the largest score of its tubes
    tubes = out.pred_tube_scores
    index = np.asarray(out.tube_window_index)
    assert len(tubes) == len(index) == len(out.tube_boxes) > 0
    assert np.bincount(index, minlength=num_windows).min() >= 1
    for w in range(num_windows):
        assert (out.pred_scores[w][own[w]] == tubes[index == w].max()).all()
    for term in 'DTRM':
        value = getattr(out, f'pred_terms_{term}')
        assert value.shape == (num_windows, CLIP_LEN)
        assert torch.isfinite(value).all() and (value[~own] == 0).all()
    assert np.isfinite(out.pred_threshold)
    # the anchor-frame boxes lie on the squares' rows
    centre_y = np.asarray(out.tube_boxes)[:, 1::2].mean(1)
    assert set(np.round(centre_y / 40)) <= {1.0, 2.0}


def test_videos_without_tubes_or_shorter_than_a_window(model):
    still = predict(model, _scene(20, squares=()))
    assert len(still.pred_tube_scores) == 0
    assert (still.pred_scores == model.empty_window_score).all()
    assert all((getattr(still, f'pred_terms_{t}') == 0).all() for t in 'DTRM')
    short = predict(model, _scene(5))
    assert short.pred_scores.shape == (1, CLIP_LEN)
    np.testing.assert_array_equal(np.asarray(short.frame_indices),
                                  [[0, 1, 2, 3, 4, 4, 4, 4]])
    assert torch.isfinite(short.pred_scores).all()


def test_frame_scores_by_video_reads_the_evidence(model):
    batch = video_batch('x', 99, _scene(22, seed=5))
    frames = frame_scores_by_video(model, [batch], clip_to_frame='max')['x']
    out = predict(model, _scene(22, seed=5))
    windows = np.asarray(out.frame_indices)
    own = ObjectContrastiveDetector._own_frames(windows)
    expected = np.empty(22)
    for w in range(len(windows)):
        expected[windows[w][own[w]]] = out.pred_scores[w][own[w]].numpy()
    np.testing.assert_allclose(frames, expected, rtol=1e-6)


def test_a_faster_object_scores_higher_than_the_normal_speed():
    # fitted on squares at 2 px/frame, the motion term alone decides
    model = fitted(M_ONLY)
    slow = predict(model, _scene(28, ((4, 50, 2, 0), ), seed=21))
    fast = predict(model, _scene(28, ((4, 50, 4, 0), ), seed=21))
    assert len(slow.pred_tube_scores) and len(fast.pred_tube_scores)
    assert fast.pred_tube_scores.min() > slow.pred_tube_scores.max()
    assert fast.pred_scores.max() > slow.pred_scores.max()
    assert (fast.pred_terms_M.amax(1) > slow.pred_terms_M.amax(1)).any()


def test_checkpoint_round_trip_gives_identical_predictions(model, tmp_path):
    path = str(tmp_path / 'objects.pth')
    torch.save({'state_dict': model.state_dict()}, path)
    fresh = build()
    assert not fresh.is_fitted
    load_checkpoint_strictly(fresh, path)
    fresh.eval()
    assert fresh.is_fitted
    assert float(fresh.empty_window_score) == float(model.empty_window_score)
    frames = _scene(26, ((4, 20, 2, 0), (90, 60, -3, 0)), seed=3)
    a, b = predict(model, frames), predict(fresh, frames)
    torch.testing.assert_close(b.pred_scores, a.pred_scores)
    torch.testing.assert_close(b.pred_tube_scores, a.pred_tube_scores)
    for term in 'DTRM':
        torch.testing.assert_close(getattr(b, f'pred_terms_{term}'),
                                   getattr(a, f'pred_terms_{term}'))


def test_grey_frames_undo_the_preprocessor_and_refuse_colour(model):
    frames = _scene(6)
    data = model.data_preprocessor(video_batch('x', 0, frames))
    np.testing.assert_array_equal(model._grey_frames(data['inputs'][0]),
                                  frames)
    colour = torch.zeros(3, 6, HEIGHT, WIDTH)
    with pytest.raises(ValueError, match='grey videos'):
        model._grey_frames(colour)


def test_raw_uint8_videos_score_exactly_like_normalised_ones(model):
    # raw_predict_inputs skips the float copy of the whole video: the
    # detector must give bit-identical scores from the uint8 frames
    raw = build(data_preprocessor=dict(
        type='ClipDataPreprocessor', mean=[127.5], std=[127.5],
        raw_predict_inputs=True))
    raw.load_state_dict(model.state_dict())
    raw.eval()
    frames = _scene(26, ((4, 20, 2, 0), (90, 60, -3, 0)), seed=3)
    batch = raw.data_preprocessor(video_batch('x', 0, frames))
    assert batch['inputs'].dtype == torch.uint8
    a, b = predict(model, frames), predict(raw, frames)
    assert torch.equal(a.pred_scores, b.pred_scores)
    assert torch.equal(a.pred_tube_scores, b.pred_tube_scores)
    # and the same heat maps (they are drawn from the tubes' scores)
    normalised = model.data_preprocessor(video_batch('x', 0, frames))
    expected = response_maps(model, normalised['inputs'][0])
    assert expected.max() > 0
    np.testing.assert_array_equal(response_maps(raw, batch['inputs'][0]),
                                  expected)
    # training batches (tube crops) are still normalised floats
    crops = torch.full((1, 4, CROP, CROP), 255, dtype=torch.uint8)
    train = raw.data_preprocessor(dict(inputs=[crops]), True)['inputs']
    assert train.dtype == torch.float32 and (train == 1).all()
    with pytest.raises(ValueError, match='expects uint8'):
        raw.data_preprocessor(dict(inputs=[crops.float()]), False)
    # a detector that feeds whole frames to its network refuses raw inputs
    tiny = Config.fromfile(osp.join(osp.dirname(TINY),
                                    'contrastive_tiny.py')).model
    tiny.data_preprocessor.raw_predict_inputs = True
    with pytest.raises(ValueError, match='normalised float inputs'):
        MODELS.build(tiny)


def test_unsupported_options_are_refused():
    with pytest.raises(ValueError, match='neither grid nor speed_negative'):
        build(grid=True)
    with pytest.raises(ValueError, match='neither grid nor speed_negative'):
        build(speed_negative=dict(type='SpeedNegative', clip_len=CLIP_LEN))


def test_response_maps_light_the_tube_boxes_by_score():
    from cbad.apis.infer_outputs import heatmap_unsupported
    from cbad.visualization import response_maps
    model = fitted(M_ONLY)
    assert heatmap_unsupported(model) is None
    frames = _scene(28, ((4, 50, 4, 0), ), seed=21)  # faster than normal
    data = model.data_preprocessor(video_batch('x', 99, frames))
    maps = response_maps(model, data['inputs'][0])
    assert maps.shape == frames.shape and maps.dtype == np.float32
    assert 0 <= maps.min() and maps.max() == pytest.approx(1.0)
    sample = predict(model, frames)
    for t in range(12, len(frames)):  # after the background's warm-up
        lit = np.argwhere(maps[t] > 0)
        if len(lit):  # only near the square of that frame
            x = int(4 + 4 * t)
            assert lit[:, 1].min() >= x - SIDE and lit[:, 1].max() <= (
                x + 2 * SIDE)
            assert 30 <= lit[:, 0].min() and lit[:, 0].max() <= 50 + 2 * SIDE
    assert (maps.reshape(len(frames), -1).max(1) > 0).sum() > len(frames) / 2
    # a frame's map is lit exactly where its score is above the floor
    floor = float(model.empty_window_score)
    scores = sample.pred_scores.numpy().max(1)
    assert (scores > floor).any()
    still = np.repeat(frames[:1], 28, axis=0)  # nothing moves
    data = model.data_preprocessor(video_batch('still', 98, still))
    assert response_maps(model, data['inputs'][0]).max() == 0


def test_instance_negatives_keep_other_objects_of_the_same_window():
    # tubes 0 and 2 share video 0 and window 0 but are two objects (tracks
    # 0 and 1): with the (video, track) keys only a tube's own overlapping
    # tubes are masked, so they stay each other's negatives
    model = build()
    _, samples = tube_batch()
    videos = model._meta_tensor(samples, 'video_index', torch.device('cpu'))
    keys = model._track_keys(samples, videos, torch.device('cpu'))
    assert keys[0] == keys[1] and keys[2] == keys[3]  # same track
    assert keys[0] != keys[2]  # same video and window, other object
    assert keys[4] != keys[0]  # same track id, other video
    _, samples = tube_batch(tracks=(-1, ) * 6)
    keys = model._track_keys(samples, videos, torch.device('cpu'))
    assert len(set(keys.tolist())) == 6  # untracked: each its own
    # the loss itself sees the difference: masking all same-video overlaps
    # (the whole-frame rule) gives another value than masking own tracks
    inputs, samples = tube_batch()
    ins = model.instance_loss
    torch.manual_seed(1)
    z_a, z_b = torch.randn(6, 8), torch.randn(6, 8)
    starts = torch.tensor([0, 4, 0, 4, 0, 4])
    by_track = ins(z_a, z_b, model._track_keys(samples, videos,
                                               torch.device('cpu')),
                   starts, CLIP_LEN)
    by_video = ins(z_a, z_b, videos, starts, CLIP_LEN)
    assert not torch.isclose(by_track, by_video)


def test_no_window_scores_below_the_floor(model):
    video = _scene(28, ((4, 50, 2, 0), ), seed=30)
    sample = predict(model, video)
    floor = float(model.empty_window_score)
    assert (sample.pred_scores >= floor).all()
    # direct: a value below the floor is lifted to it in every window
    vt = model.extractor(video)
    low = torch.full((len(vt), ), floor - 5.0)
    assert (model._window_max(low, vt, floor) == floor).all()


def test_settings_the_frame_mapping_cannot_read_are_refused(model):
    with pytest.raises(ValueError, match="anchor='last'"):
        build(tubes=dict(anchor='centre', crop_size=CROP))
    with pytest.raises(ValueError, match=r"clip_to_frame in \('max'"):
        fit_threshold(model, slow_videos(3, 1), clip_to_frame='mean')


def test_detector_with_dis_flow_can_be_copied_and_pickled():
    import copy
    import pickle
    model = build(tubes=dict(
        proposer=dict(type='BackgroundMotionProposer', flow='dis_ultrafast',
                      combine='and', min_area=40),
        crop_size=CROP))
    model.extractor(_scene(12))  # the DIS object now exists
    clone = copy.deepcopy(model)
    pickle.loads(pickle.dumps(model))
    video = _scene(20)
    assert len(clone.extractor(video)) == len(model.extractor(video))


def test_annotated_video_maps_the_tube_model_over_the_whole_video(
        tmp_path, monkeypatch):
    # maps cut into pieces would restart proposals, background and tracks at
    # every piece: the tube model is mapped once, with its scores' tubes
    import cbad.apis.infer_outputs as outputs
    model = fitted(M_ONLY)
    frames = _scene(28, ((4, 50, 4, 0), ), seed=21)
    data = model.data_preprocessor(video_batch('x', 99, frames))
    inputs = list(data['inputs'][0].unbind(1))  # C x H x W each
    calls = []
    real = outputs.response_maps

    def counted(m, video):
        calls.append(video.shape[1])
        return real(m, video)

    monkeypatch.setattr(outputs, 'response_maps', counted)
    video = outputs.AnnotatedVideo(str(tmp_path / 'a.mp4'), 25.0, 0.0,
                                   model, context=16, piece=4)
    bgr = [np.repeat(f[..., None], 3, 2) for f in frames]
    # frames arrive as the streaming scorer makes them final: a few at once
    for start in range(0, len(frames), 5):
        video.write(bgr[start:start + 5], [0.0] * len(bgr[start:start + 5]),
                    inputs[start:start + 5])
    assert calls == []  # held until the end
    assert video.close() is not None
    assert calls == [len(frames)]
    assert video.num_frames == len(frames)


def test_postprocess_smooths_the_frame_scores_it_sends(model):
    """The model's causal step acts on the frame scores: the 'max' reduction
    of the new evidence gives the smoothed scores of the old one, and the
    old evidence travels along for metrics.json."""
    from cbad.postprocessing import TrailingMean
    frames = _scene(34, ((4, 20, 2, 0), (108, 60, -3, 0)), seed=3)
    plain = predict(model, frames)
    assert plain.postprocess == 'none'
    assert 'pred_scores_before_postprocess' not in plain
    smoothed_model = build(postprocess=dict(type='TrailingMean', length=5))
    smoothed_model.load_state_dict(model.state_dict())
    out = predict(smoothed_model.eval(), frames)
    assert out.postprocess == 'TrailingMean(length=5)'
    windows = np.asarray(out.frame_indices)
    torch.testing.assert_close(out.pred_scores_before_postprocess,
                               plain.pred_scores)
    before = clip_to_frame_scores(windows, plain.pred_scores.numpy(), 34,
                                  reduce='max')
    after = clip_to_frame_scores(windows, out.pred_scores.numpy(), 34,
                                 reduce='max')
    np.testing.assert_allclose(after, TrailingMean(5)(before), rtol=1e-6)
    assert not np.allclose(after, before)


def test_difference_input_ignores_what_does_not_change():
    model = build(tube_input='difference').eval()
    tubes = torch.randn(3, 1, CLIP_LEN, CROP, CROP)
    static = torch.randn(3, 1, 1, CROP, CROP)  # the same in every frame
    with torch.no_grad():
        torch.testing.assert_close(model.embed_clips(tubes + static),
                                   model.embed_clips(tubes))
        grey = build().eval()
        assert not torch.allclose(grey.embed_clips(tubes + static),
                                  grey.embed_clips(tubes))
    with pytest.raises(ValueError, match='tube_input'):
        build(tube_input='flow')
