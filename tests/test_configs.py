"""Every config under configs/ builds, trains one step and predicts on CPU."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from cbad.engine import fit_detector
from cbad.registry import DATASETS, METRICS, MODELS, register_all_modules
from cbad.structures import ClipDataSample, window_starts

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)


def _input_shape(cfg, loader='test_dataloader'):
    """(C, T, H, W) the config's test pipeline produces for ``loader``'s
    clips, read off the config."""
    pipeline = cfg.test_dataloader.dataset.pipeline
    gray = any(t.get('to_gray') for t in pipeline if t['type'] ==
               'LoadClipFrames')
    size = next((tuple(t['size']) for t in pipeline
                 if t['type'] == 'ResizeClip'), None)
    if size is None:  # synthetic: native frame size
        size = (120, 160)
    return (1 if gray else 3, cfg[loader].dataset.clip_len, *size)


def test_configs_found():
    names = {osp.basename(p) for p in CONFIGS}
    for dataset in ['ped2', 'avenue', 'shanghaitech', 'synthetic']:
        assert f'convae_{dataset}.py' in names
        assert f'cbad_{dataset}.py' in names
    # the paper's ablations M1-M5 on the headline model (M6 is the headline
    # itself) and, for the record, on the whole-frame CPU recipe
    for m in range(1, 6):
        assert f'cbad_ped2_m{m}.py' in names
        assert f'cbad_ped2_cpu_m{m}.py' in names


def _clip_samples(n, clip_len):
    """Two runs of neighbouring windows with motion groups, like training."""
    return [
        ClipDataSample(metainfo=dict(
            video=f'v{i // 2}', video_index=i // 2, num_frames=3 * clip_len,
            frame_indices=np.arange(clip_len) + 4 * (i % 2),
            motion_group=i % 3)) for i in range(n)
    ]


def _video_batch(name, c, length, h, w, seed):
    g = torch.Generator().manual_seed(seed)
    frames = torch.randint(0, 256, (c, length, h, w), generator=g,
                           dtype=torch.uint8)
    sample = ClipDataSample(metainfo=dict(video=name, video_index=seed,
                                          num_frames=length))
    return dict(inputs=[frames], data_samples=[sample])


@pytest.mark.parametrize('path', CONFIGS,
                         ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds_trains_and_predicts(path):
    torch.manual_seed(0)
    cfg = Config.fromfile(path)
    name = osp.splitext(osp.basename(path))[0]
    assert osp.basename(osp.dirname(path)) == name.split('_')[0]
    model = MODELS.build(cfg.model)
    METRICS.build(cfg.test_evaluator)
    for key in ['train_dataloader', 'fit_dataloader', 'test_dataloader']:
        assert DATASETS.get(cfg[key].dataset.type) is not None
    if cfg.model.type == 'ObjectContrastiveDetector':
        _train_and_predict_objects(cfg, model)
        return
    c, t, h, w = _input_shape(cfg, 'train_dataloader')
    n = 4
    batch = dict(
        inputs=[torch.randint(0, 256, (c, t, h, w), dtype=torch.uint8)
                for _ in range(n)],
        data_samples=_clip_samples(n, t))
    optim = torch.optim.Adam(model.parameters(), lr=1e-4)
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()
    optim.step()
    model.eval()
    if cfg.test_dataloader.dataset.get('sample_unit') == 'video':
        # whole-video scoring needs the scorers fitted on normal videos first
        assert 'fit_train_dataloader' in cfg
        train = [_video_batch(f't{i}', c, 2 * t, h, w, i) for i in range(3)]
        val = [_video_batch(f'v{i}', c, 2 * t, h, w, 9 + i)
               for i in range(2)]
        fit_detector(model, train, val)
        test = _video_batch('x', c, 2 * t + 3, h, w, 99)
        with torch.no_grad():
            out = model(**model.data_preprocessor(test, False),
                        mode='predict')
        windows = np.asarray(out[0].frame_indices)
        assert out[0].pred_scores.shape == (len(windows), )
    else:
        with torch.no_grad():
            out = model(**model.data_preprocessor(batch, False),
                        mode='predict')
        assert out[0].pred_scores.shape == (t, )
    assert torch.isfinite(out[0].pred_scores).all()
    assert model.is_fitted or cfg.test_dataloader.dataset.get(
        'sample_unit') != 'video'


def _moving_squares(name, index, length=24, h=96, w=128):
    """A loader batch of one grey video (1, L, H, W): two textured squares
    moving right at 2 and 3 px/frame over a blurred random floor, so the
    object proposals find something (noise would give no tube)."""
    rng = np.random.default_rng(index)
    floor = cv2.GaussianBlur(rng.integers(0, 120, (h, w)).astype(np.uint8),
                             (5, 5), 0)
    texture = rng.integers(170, 256, (16, 16)).astype(np.uint8)
    frames = np.repeat(floor[None], length, axis=0)
    for t in range(length):
        for y, speed in ((10 + 4 * (index % 3), 2), (h // 2 + 10, 3)):
            x = 4 + speed * t
            frames[t, y:y + 16, x:x + 16] = texture
    sample = ClipDataSample(metainfo=dict(video=name, video_index=index,
                                          num_frames=length))
    return dict(inputs=[torch.from_numpy(frames)[None]],
                data_samples=[sample])


def _train_and_predict_objects(cfg, model):
    """ObjectContrastiveDetector: a train step on tube crops
    (N, 1, T, crop, crop) whose samples carry track ids, then fit and predict
    on whole grey videos (1, L, H, W) it cuts into tubes itself."""
    t, crop = cfg.model.clip_len, cfg.model.tubes.crop_size
    # training tubes are cut exactly as the detector cuts them at test time
    tube_data = cfg.train_dataloader.dataset
    assert tube_data.type == 'TubeDataset'
    assert tube_data.tubes == cfg.model.tubes
    assert tube_data.dataset.clip_len == t
    assert tube_data.dataset.stride == cfg.model.stride
    assert cfg.test_dataloader.dataset.sample_unit == 'video'
    n = 4
    samples = _clip_samples(n, t)
    for sample in samples:
        sample.set_metainfo(dict(track_id=0))  # one object per video
    batch = dict(inputs=[torch.randint(0, 256, (1, t, crop, crop),
                                       dtype=torch.uint8) for _ in range(n)],
                 data_samples=samples)
    optim = torch.optim.Adam(model.parameters(), lr=1e-4)
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()
    optim.step()
    model.eval()
    fit_detector(model, [_moving_squares(f't{i}', i) for i in range(3)],
              [_moving_squares(f'v{i}', 9 + i) for i in range(2)],
              clip_to_frame=cfg.test_evaluator.clip_to_frame)
    assert model.is_fitted
    with torch.no_grad():
        out = model(**model.data_preprocessor(_moving_squares('x', 99),
                                              False), mode='predict')
    windows = np.asarray(out[0].frame_indices)
    assert windows.shape == (len(window_starts(24, t, cfg.model.stride)), t)
    assert out[0].pred_scores.shape == windows.shape
    assert len(out[0].pred_tube_scores) > 0
    assert torch.isfinite(out[0].pred_scores).all()


def test_dataset_configs_read_root_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv('CBAD_DATA_ROOT', str(tmp_path))
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'convae',
                                   'convae_ped2.py'))
    assert cfg.test_dataloader.dataset.data_root == f'{tmp_path}/ped2'
    monkeypatch.delenv('CBAD_DATA_ROOT')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'convae',
                                   'convae_avenue.py'))
    assert cfg.test_dataloader.dataset.data_root == 'data/avenue'
