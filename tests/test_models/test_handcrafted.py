"""FlowHistogramEncoder and HandcraftedDetector (the hand-crafted baseline)."""
import numpy as np
import pytest
import torch

from cbad.engine import fit_detector
from cbad.registry import MODELS, register_all_modules
from cbad.structures import ClipDataSample

register_all_modules()

GRID = (2, 3)
B = 8 + 4  # orientation bins + magnitude bins (defaults)


def _encoder(**kwargs):
    return MODELS.build(dict(type='FlowHistogramEncoder', grid=GRID, **kwargs))


def _detector(per_cell=False, k=1, clip_len=4, stride=2):
    return MODELS.build(
        dict(
            type='HandcraftedDetector',
            data_preprocessor=dict(type='ClipDataPreprocessor'),
            encoder=dict(type='FlowHistogramEncoder', grid=GRID),
            scorer=dict(type='KNNSupportScorer', k=k),
            per_cell=per_cell,
            clip_len=clip_len,
            stride=stride))


def _texture(h=48, w=72, seed=0):
    """Smooth random texture (Farneback needs gradients to track)."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (h // 4, w // 4))
    return np.kron(coarse, np.ones((4, 4)))  # H x W


def _moving_square(length=5, dx=2, h=48, w=72):
    """Grey video (1, L, H, W): a textured square moving right on black."""
    frames = np.zeros((length, h, w), np.float32)
    patch = _texture(16, 16, seed=1) * 0.5 + 120
    for t in range(length):
        x0 = 4 + dx * t  # top-left cell of the 2x3 grid
        frames[t, 4:20, x0:x0 + 16] = patch
    return torch.from_numpy(frames)[None]


def test_static_clip_is_zero_motion():
    frame = torch.from_numpy(_texture()).float()
    clip = frame.expand(1, 1, 6, *frame.shape).clone()  # N C T H W
    z = _encoder()(clip)
    assert z.shape == (1, GRID[0] * GRID[1], B)
    assert torch.count_nonzero(z) == 0
    # also when the flow is actually computed (no identical-frame shortcut):
    # a static scene with +-1 grey-level noise stays under the noise floor
    noisy = clip.clone()
    noisy[:, :, 1::2] += 1.0
    assert torch.count_nonzero(_encoder()(noisy)) == 0


def test_shapes_and_colour_input():
    enc = _encoder(orientation_bins=4, magnitude_edges=(0.5, 2.0))
    clips = torch.rand(3, 3, 5, 40, 60) * 255  # BGR clips
    assert enc(clips).shape == (3, 6, 6)
    assert enc.pair_descriptors(clips[0]).shape == (4, 6, 6)
    with pytest.raises(ValueError, match=r'\(N, C, T, H, W\)'):
        enc(clips[0])
    with pytest.raises(ValueError, match='cannot hold'):
        _encoder()(torch.rand(1, 1, 3, 1, 60))


def test_rightward_motion_lands_in_the_right_bins():
    pairs = _encoder().pair_descriptors(_moving_square(dx=2))  # L-1 x 6 x B
    orientation, speed = pairs[..., :8], pairs[..., 8:]
    # every moving pixel goes right (bin 0 = +x); the square is in the left
    # two columns of the 2x3 grid, so the right column sees no motion
    assert float(orientation[..., 1:].sum()) < 0.01 * float(
        orientation[..., 0].sum())
    assert torch.all(orientation[:, 0, 0] > 0)
    assert torch.count_nonzero(pairs[:, [2, 5]]) == 0
    # magnitude bins are fractions of a cell's pixels; the 2 px/frame
    # square fills the [1, 2) and [2, 4) bins, none moves faster than 4
    assert torch.all((speed >= 0) & (speed <= 1))
    assert float(speed.sum(dim=-1).max()) <= 1 + 1e-6
    assert float(speed[:, 0, 1:3].sum()) > 0 and speed[..., 3].sum() == 0


def test_pool_windows_mean_skips_padding_and_normalises():
    enc = _encoder()
    pairs = torch.zeros(3, 6, B)
    pairs[0, 0, 0], pairs[1, 0, 0], pairs[2, 0, 0] = 1.0, 3.0, 100.0
    # window 0..2 padded by repeating frame 2: pairs (0,1), (1,2) only
    z = enc.pool_windows(pairs, np.array([[0, 1, 2, 2]]))
    assert z[0, 0, 0] == pytest.approx(2.0)
    assert torch.count_nonzero(z[0, 1:]) == 0
    l2 = _encoder(normalize='l2').pool_windows(pairs, np.array([[0, 1, 2]]))
    assert l2[0, 0].norm() == pytest.approx(1.0)
    assert torch.count_nonzero(l2[0, 1:]) == 0  # zero cells stay zero


def test_knn_score_matches_hand_computation():
    model = _detector(k=2)
    bank = torch.zeros(3, 6, B)
    bank[1, 0, 0], bank[2, 0, 0] = 1.0, 4.0
    model.scorers[0].fit(bank.flatten(1))
    query = torch.zeros(1, 6, B)
    query[0, 0, 0], query[0, 5, 3] = 2.0, 1.0
    # distances to the bank: sqrt(4+1), sqrt(1+1), sqrt(4+1) -> 2 nearest
    expected = (np.sqrt(2) + np.sqrt(5)) / 2
    assert float(model.score_descriptors(query)) == pytest.approx(expected)
    cells = _detector(per_cell=True, k=1)
    for c, scorer in enumerate(cells.scorers):
        scorer.fit(bank[:, c])
    # per cell, nearest normal: cell 0 -> 1.0 (to 1.0), cell 5 -> 1.0; max
    query[0, 5, 3] = 3.0
    assert float(cells.score_descriptors(query)) == pytest.approx(3.0)


def test_fit_predict_video_and_checkpoint_round_trip():
    model = _detector(per_cell=True)
    video = (_moving_square(length=9) * 1).round().to(torch.uint8)
    static = video[:, :1].expand(-1, 9, -1, -1).contiguous()

    def batch(frames, name):
        sample = ClipDataSample(metainfo=dict(video=name, num_frames=9))
        return dict(inputs=[frames], data_samples=[sample])

    with pytest.raises(RuntimeError, match='not fitted'):
        model.predict(**model.data_preprocessor(batch(video, 'x')))
    # threshold segments as long as the clips (16/4 would pad 9 frames)
    fit_detector(model, [batch(static, 'a')], [batch(static, 'b')], segment_len=4,
              segment_stride=2)
    assert model.is_fitted
    out = model.predict(**model.data_preprocessor(batch(video, 'x')))[0]
    windows = np.asarray(out.frame_indices)
    assert windows.shape == (4, 4)  # starts 0, 2, 4 and one end-aligned (5)
    assert out.pred_scores.shape == (4, )
    assert torch.all(out.pred_scores > 0)  # motion vs an all-static bank
    fresh = _detector(per_cell=True)
    fresh.load_state_dict(model.state_dict())
    again = fresh.predict(**fresh.data_preprocessor(batch(video, 'x')))[0]
    torch.testing.assert_close(again.pred_scores, out.pred_scores)
    # a clip sample (a sub-window of a longer video) gets one score per frame
    clip = ClipDataSample(metainfo=dict(video='x', num_frames=20,
                                        frame_indices=np.arange(4) + 3))
    data = model.data_preprocessor(dict(inputs=[video[:, :4]],
                                        data_samples=[clip]))
    assert model.predict(**data)[0].pred_scores.shape == (4, )


def test_training_free_loss_and_fit_needs_training_data():
    model = _detector()
    losses = model(torch.rand(2, 1, 4, 24, 36) * 255, mode='loss')
    assert set(losses) == {'loss_none'}
    assert losses['loss_none'].requires_grad
    assert float(losses['loss_none'].detach()) == 0
    assert [n for n, _ in model.named_parameters()] == ['anchor']
    with pytest.raises(ValueError, match='fit_train_dataloader'):
        fit_detector(model, None, [])
