"""response_maps and overlay_heatmap on tiny detectors and videos."""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from cbad.engine import fit_detector
from cbad.registry import MODELS, register_all_modules
from cbad.structures import ClipDataSample
from cbad.visualization import overlay_heatmap, response_maps
from cbad.visualization.response_map import PEAK_PERCENTILE

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CBAD_CPU = osp.join(ROOT, 'configs', 'cbad', 'cbad_ped2_cpu.py')


def moving_square(length=10, height=24, width=32, side=6):
    """uint8 (1, L, H, W): a bright square crossing a mid-grey background."""
    video = np.full((1, length, height, width), 128, dtype=np.uint8)
    for t in range(length):
        x = 2 + 2 * t
        video[0, t, 8:8 + side, x:x + side] = 255
    return torch.from_numpy(video)


def normalised(video):
    """The ClipDataPreprocessor's (x - 127.5) / 127.5 of a uint8 video."""
    return (video.float() - 127.5) / 127.5


def unit(maps):
    """Maps over the video's PEAK_PERCENTILE-th percentile, clipped to 1."""
    maps = maps.numpy()
    return np.clip(maps / np.percentile(maps, PEAK_PERCENTILE), 0, 1)


# ---------------------------------------------------------- contrastive
def tiny_contrastive():
    """The CPU Ped2 config's model, shrunk to seconds on a CPU."""
    cfg = Config.fromfile(CBAD_CPU)
    dim = 16
    options = {'model.clip_len': 4, 'model.stride': 2, 'model.chunk_size': 5,
               'model.aggregator.dim': dim, 'model.head.in_dim': dim,
               'model.head.hidden_dim': dim, 'model.head.out_dim': dim,
               'model.prototype_loss.dim': dim,
               'model.encoder.fusion.dim': dim,
               'model.scorers.D.num_prototypes': 2, 'model.scorers.R.k': 3}
    for branch in ('spatial', 'temporal'):
        options[f'model.encoder.{branch}.channels'] = (4, 8)
        options[f'model.encoder.{branch}.out_dim'] = dim
    cfg.merge_from_dict(options)
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def video_batch(name, video, index):
    sample = ClipDataSample(metainfo=dict(
        video=name, video_index=index, num_frames=video.shape[1]))
    return dict(inputs=[video], data_samples=[sample])


@pytest.fixture(scope='module')
def fitted_contrastive():
    model = tiny_contrastive()
    g = torch.Generator().manual_seed(0)

    def noise(length):
        return torch.randint(0, 256, (1, length, 24, 32), generator=g,
                             dtype=torch.uint8)

    train = [video_batch(f't{i}', noise(12), i) for i in range(3)]
    val = [video_batch(f'v{i}', noise(10), 10 + i) for i in range(2)]
    fit_detector(model, train, val, segment_len=4, segment_stride=2)
    return model


def test_contrastive_maps_shape_range_and_no_side_effects(fitted_contrastive):
    model = fitted_contrastive.train()  # the mode must come back as it was
    maps = response_maps(model, normalised(moving_square()))
    assert maps.shape == (10, 24, 32) and maps.dtype == np.float32
    assert maps.min() >= 0 and maps.max() == pytest.approx(1.0)
    assert model.training  # mode restored
    assert not model.encoder.spatial.layers._forward_hooks  # hook removed
    assert all(p.grad is None for p in model.parameters())


def test_contrastive_map_is_gradcam_of_the_fused_score(fitted_contrastive):
    """One window (L = clip_len): Grad-CAM computed here by hand."""
    model = fitted_contrastive.eval()
    frames = normalised(moving_square(length=4))  # C x T x H x W
    clip = frames.unsqueeze(0)
    spatial = model.encoder.spatial
    with torch.no_grad():
        images = clip.transpose(1, 2).flatten(0, 1)  # T x C x H x W
        feats = spatial.layers(images)  # T x D x gh x gw
        m = model.encoder.temporal(clip)
    s = feats.mean(dim=(2, 3)).unsqueeze(0).requires_grad_()  # 1 x T x D
    z = F.normalize(model.aggregator(model.encoder.fusion(s, m)), dim=-1)
    score = model.fusion(model.score_terms(z))[0]
    (grad_s, ) = torch.autograd.grad(score, s)
    # d score / d F[t, k, i, j] = d score / d s[t, k] / (gh * gw)
    alpha = grad_s[0] / feats[0, 0].numel()  # T x D
    cam = F.relu((alpha[:, :, None, None] * feats).sum(dim=1))
    cam = F.interpolate(cam[:, None], size=frames.shape[-2:],
                        mode='bilinear', align_corners=False)[:, 0]
    np.testing.assert_allclose(response_maps(model, frames), unit(cam),
                               atol=1e-5)


# ------------------------------------------------------ reconstruction
def tiny_convae():
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='ReconstructionDetector',
        encoder=dict(type='ConvAEEncoder', in_frames=4, channels=(8, 8, 4)),
        decoder=dict(type='ConvAEDecoder', out_frames=4,
                     channels=(8, 8, 4)))).eval()


def test_reconstruction_map_is_the_squared_error_by_hand():
    model = tiny_convae()
    frames = normalised(moving_square())  # 10 frames: clips 0-3, 4-7, 6-9
    total, count = torch.zeros(10, 24, 32), torch.zeros(10, 1, 1)
    with torch.no_grad():
        for start in (0, 4, 6):
            clip = frames[None, :, start:start + 4]
            total[start:start + 4] += (model.reconstruct(clip) -
                                       clip).pow(2)[0, 0]
            count[start:start + 4] += 1
    np.testing.assert_allclose(response_maps(model, frames),
                               unit(total / count), rtol=1e-5, atol=1e-6)


def test_reconstruction_map_lights_up_the_moving_square():
    model = tiny_convae()
    with torch.no_grad():  # reconstructs the mid-grey background only
        model.decoder.out_conv.weight.zero_()
        model.decoder.out_conv.bias.zero_()
    video = moving_square()
    maps = response_maps(model, normalised(video))
    square = video[0].numpy() == 255
    for t in range(len(maps)):
        assert maps[t][square[t]].mean() > 0.9
        assert maps[t][~square[t]].mean() < 0.1


def test_memae_maps_shape():
    model = MODELS.build(dict(
        type='MemAEDetector',
        encoder=dict(type='MemAEEncoder', channels=(4, 6, 8, 8)),
        memory=dict(type='MemoryModule', num_slots=10, feat_dim=8),
        decoder=dict(type='MemAEDecoder', channels=(4, 6, 8, 8))))
    maps = response_maps(model, normalised(moving_square(length=18)))
    assert maps.shape == (18, 24, 32)
    assert 0 <= maps.min() and maps.max() == pytest.approx(1.0)


def test_prediction_map_is_the_squared_error_by_hand():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='FuturePredictionDetector',
        generator=dict(type='UNetPredictor', in_frames=4, base_channels=4,
                       num_stages=3))).eval()
    frames = normalised(moving_square(length=8, height=32, width=32))
    with torch.no_grad():
        errors = [(model.generator(frames[None, :, t - 4:t]) -
                   frames[None, :, t]).pow(2)[0, 0] for t in range(4, 8)]
    expected = torch.stack(errors[:1] * 4 + errors)  # frames 0-3: first's
    np.testing.assert_allclose(response_maps(model, frames), unit(expected),
                               rtol=1e-5, atol=1e-6)


def test_unsupported_model_and_bad_video_are_clear_errors():
    with pytest.raises(NotImplementedError, match='Linear'):
        response_maps(torch.nn.Linear(2, 2), torch.zeros(1, 4, 8, 8))
    with pytest.raises(ValueError, match=r'\(C, L, H, W\)'):
        response_maps(tiny_convae(), torch.zeros(1, 1, 4, 8, 8))


# ------------------------------------------------------------- overlay
def test_overlay_heatmap_grey_and_bgr():
    grey = np.full((48, 64), 100, dtype=np.uint8)
    heat = np.zeros((12, 16), dtype=np.float32)
    heat[:, 8:] = 1.0  # right half hot, resized to the frame
    out = overlay_heatmap(grey, heat)
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8
    assert not np.array_equal(out[:, 0], out[:, -1])
    bgr = overlay_heatmap(np.dstack([grey] * 3), heat)
    np.testing.assert_array_equal(bgr, out)
    with pytest.raises(ValueError, match='uint8'):
        overlay_heatmap(grey.astype(np.float32), heat)
