"""Every config under configs/ builds, trains one step and predicts on CPU.

Each config is loaded as it is and its dataset classes, samplers, transforms
and metric are looked up or built from the registries. Its model, of the
config's own types, is then shrunk (:func:`_shrink` divides every width by
WIDTH_DIV) and fed FRAME_SIZE frames of the config's clip length and
channels, so that a train step and a prediction take a fraction of a second
even for the paper's 224x224, 256-d recipes. The shrinking is proportional:
widths that must agree still have to agree in the config.
tests/configs_layout/test_config_layout.py checks the unshrunk geometry.
"""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from cbad.engine import fit_detector
from cbad.registry import (DATA_SAMPLERS, DATASETS, METRICS, MODELS,
                           TRANSFORMS, register_all_modules)
from cbad.structures import ClipDataSample, window_starts

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)
LOADERS = ('train_dataloader', 'fit_dataloader', 'fit_train_dataloader',
           'test_dataloader')
#: Keys of a model config that hold a width (number of channels or
#: embedding dimensions) and are divided by WIDTH_DIV.
WIDTH_KEYS = ('channels', 'out_dim', 'dim', 'in_dim', 'hidden_dim',
              'feat_dim', 'base_channels')
WIDTH_DIV = 8
#: (H, W) of every frame fed to a model instead of the config's input size:
#: the smallest that every model takes (FFP's discriminator needs 32, MemAE's
#: and Conv-AE's encoders a multiple of 16).
FRAME_SIZE = (32, 48)
#: Memory slots of MemAE, object tubes' crop side (videos and squares of
#: _moving_squares are sized for it).
NUM_SLOTS = 64
CROP = 16


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """The tensors here are tiny: one intra-op thread runs them faster than
    two (thread start-up and contention with the machine's other jobs)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _div(value, by):
    return max(1, int(round(value / by)))


def _shrink(node):
    """Divide every width of a model config by WIDTH_DIV, in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in WIDTH_KEYS and isinstance(value, int):
                node[key] = _div(value, WIDTH_DIV)
            elif key in WIDTH_KEYS and isinstance(value, (tuple, list)):
                node[key] = type(value)(_div(v, WIDTH_DIV) for v in value)
            else:
                _shrink(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _shrink(value)


def _build_pipelines_and_datasets(cfg):
    """Every loader's dataset class, sampler and transforms exist and build
    (the datasets themselves need files, so only their class is looked up).
    """
    for key in LOADERS:
        if key not in cfg:
            continue
        dataset = cfg[key].dataset
        assert DATASETS.get(dataset.type) is not None, (key, dataset.type)
        if dataset.type == 'TubeDataset':
            assert DATASETS.get(dataset.dataset.type) is not None
        assert DATA_SAMPLERS.get(cfg[key].sampler.type) is not None
        for transform in dataset.pipeline:
            TRANSFORMS.build(transform)


def _input_shape(cfg, loader='test_dataloader'):
    """(C, T, H, W) of the clips ``loader`` produces, read off the config
    (channels and clip length; the frames are FRAME_SIZE)."""
    pipeline = cfg[loader].dataset.pipeline
    gray = any(t.get('to_gray') for t in pipeline
               if t['type'] == 'LoadClipFrames')
    return (1 if gray else 3, cfg[loader].dataset.clip_len, *FRAME_SIZE)


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


def _fit(model, cfg, train, val):
    """Fit scorers, normalisers and threshold as FitDetectorHook does, with
    the config's metric protocol."""
    metric = cfg.test_evaluator
    fit_detector(model, train, val, segment_len=metric.segment_len,
                 segment_stride=metric.segment_stride,
                 clip_to_frame=metric.clip_to_frame)


@pytest.mark.parametrize('path', CONFIGS,
                         ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds_trains_and_predicts(path):
    torch.manual_seed(0)
    cfg = Config.fromfile(path)
    name = osp.splitext(osp.basename(path))[0]
    assert osp.basename(osp.dirname(path)) == name.split('_')[0]
    _build_pipelines_and_datasets(cfg)
    METRICS.build(cfg.test_evaluator)
    if cfg.model.type == 'ObjectContrastiveDetector':
        _train_and_predict_objects(cfg)
        return
    model_cfg = cfg.model.to_dict()
    _shrink(model_cfg)
    if 'memory' in model_cfg:
        model_cfg['memory']['num_slots'] = NUM_SLOTS
    model = MODELS.build(model_cfg)
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
        c, t, h, w = _input_shape(cfg)
        train = [_video_batch(f't{i}', c, 2 * t, h, w, i) for i in range(3)]
        val = [_video_batch(f'v{i}', c, 2 * t, h, w, 9 + i)
               for i in range(2)]
        _fit(model, cfg, train, val)
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


def _moving_squares(name, index, length=24, h=48, w=64, side=8):
    """A loader batch of one grey video (1, L, H, W): two textured squares
    moving right at 1 and 2 px/frame over a blurred random floor, so the
    object proposals find something (noise would give no tube)."""
    rng = np.random.default_rng(index)
    floor = cv2.GaussianBlur(rng.integers(0, 120, (h, w)).astype(np.uint8),
                             (5, 5), 0)
    texture = rng.integers(170, 256, (side, side)).astype(np.uint8)
    frames = np.repeat(floor[None], length, axis=0)
    for t in range(length):
        for y, speed in ((4 + 2 * (index % 3), 1), (h // 2 + 4, 2)):
            x = 2 + speed * t
            frames[t, y:y + side, x:x + side] = texture
    sample = ClipDataSample(metainfo=dict(video=name, video_index=index,
                                          num_frames=length))
    return dict(inputs=[torch.from_numpy(frames)[None]],
                data_samples=[sample])


def _train_and_predict_objects(cfg):
    """ObjectContrastiveDetector: a train step on tube crops
    (N, 1, T, crop, crop) whose samples carry track ids, then fit and predict
    on whole grey videos (1, L, H, W) it cuts into tubes itself."""
    t = cfg.model.clip_len
    # training tubes are cut exactly as the detector cuts them at test time
    tube_data = cfg.train_dataloader.dataset
    assert tube_data.type == 'TubeDataset'
    assert tube_data.tubes == cfg.model.tubes
    assert tube_data.dataset.clip_len == t
    assert tube_data.dataset.stride == cfg.model.stride
    assert cfg.test_dataloader.dataset.sample_unit == 'video'
    model_cfg = cfg.model.to_dict()
    _shrink(model_cfg)
    # small crops of small videos; the proposer keeps regions of >= 40 px,
    # so the 8x8 squares still make tubes
    model_cfg['tubes']['crop_size'] = CROP
    model = MODELS.build(model_cfg)
    n = 4
    samples = _clip_samples(n, t)
    for sample in samples:
        sample.set_metainfo(dict(track_id=0))  # one object per video
    batch = dict(inputs=[torch.randint(0, 256, (1, t, CROP, CROP),
                                       dtype=torch.uint8) for _ in range(n)],
                 data_samples=samples)
    optim = torch.optim.Adam(model.parameters(), lr=1e-4)
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()
    optim.step()
    model.eval()
    _fit(model, cfg, [_moving_squares(f't{i}', i) for i in range(3)],
         [_moving_squares(f'v{i}', 9 + i) for i in range(2)])
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
