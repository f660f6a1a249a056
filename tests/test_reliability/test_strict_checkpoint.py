"""tools/test.py scores only checkpoints that fit the model and are fitted,
and a threshold fitted on too little normal data is flagged and recorded.

Issue 9: a checkpoint of another model, an empty ``state_dict`` or one
without ``encoder.temporal.*`` used to load with ``strict=False``, be fitted
at test time and be scored under that file's sha256; a threshold fitted on a
handful of validation windows was used silently.
"""
import importlib.util
import json
import logging
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from cbad.engine import fit_threshold
from cbad.engine.hooks import FitDetectorHook
from cbad.evaluation.thresholders import (MIN_THRESHOLD_FIT_VIDEOS,
                                          MIN_THRESHOLD_FIT_WINDOWS)
from cbad.registry import MODELS, register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONVAE_TINY = osp.join(ROOT, 'tests', 'configs', 'convae_synthetic_tiny.py')
CONTRASTIVE_TINY = osp.join(ROOT, 'tests', 'configs', 'contrastive_tiny.py')
# The tiny contrastive model on a tiny synthetic scene, scored per video.
CONTRASTIVE_CFG = '''
_base_ = [{model!r}, {data!r}, {schedule!r}, {runtime!r}]
_scene = dict(num_videos=4, num_frames=40, height=48, width=64)
_video = dict(sample_unit='video', scene_kwargs=_scene)
fit_dataloader = dict(batch_size=1, dataset=_video)
fit_train_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SyntheticDataset', split='train', val_ratio=0.25,
                 test_mode=True, pipeline={{{{_base_.test_pipeline}}}},
                 **_video))
test_dataloader = dict(batch_size=1, dataset=_video)
test_evaluator = dict(segment_len=4, segment_stride=2)
'''
GREY = [dict(type='LoadClipFrames', to_gray=True), dict(type='PackClipInputs')]

register_all_modules()


def _tool_main(name):
    """``main`` of ``tools/<name>.py``, imported from its file."""
    spec = importlib.util.spec_from_file_location(
        f'cbad_tools_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def run_test_tool(monkeypatch, tmp_path, config, checkpoint, *extra):
    """Run tools/test.py in-process; returns the out dir."""
    out = tmp_path / 'results'
    monkeypatch.setattr(sys, 'argv', [
        'tools/test.py', str(config), str(checkpoint), '--work-dir',
        str(tmp_path / 'work'), '--out-dir', str(out), *extra])
    _tool_main('test')()
    return out


def refused(monkeypatch, tmp_path, config, checkpoint, *extra):
    """tools/test.py's error message; asserts it exited non-zero and wrote
    no metrics."""
    with pytest.raises(SystemExit) as info:
        run_test_tool(monkeypatch, tmp_path, config, checkpoint, *extra)
    assert info.value.code not in (0, None)
    assert not (tmp_path / 'results' / 'metrics.json').exists()
    return str(info.value.code)


def build(config):
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(str(config)).model)


def save(path, state_dict, **meta):
    torch.save(dict(state_dict=state_dict, meta=meta), str(path))
    return path


@pytest.fixture(scope='module')
def contrastive_cfg(tmp_path_factory):
    path = tmp_path_factory.mktemp('cfg') / 'contrastive_synthetic_tiny.py'
    path.write_text(CONTRASTIVE_CFG.format(
        model=CONTRASTIVE_TINY,
        data=osp.join(ROOT, 'configs', '_base_', 'datasets', 'synthetic.py'),
        schedule=osp.join(ROOT, 'configs', '_base_', 'schedules',
                          'adam_1e-4_120e.py'),
        runtime=osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')))
    return path


def expected_missing(model, state_dict):
    """Missing keys in the model's order (the message names the first)."""
    return [k for k in model.state_dict()
            if k not in state_dict and not model.may_be_missing(k)]


# ----------------------------------------------------------- strict loading
def test_another_models_checkpoint_is_refused(monkeypatch, tmp_path,
                                              contrastive_cfg):
    convae = build(CONVAE_TINY).state_dict()
    ckpt = save(tmp_path / 'convae.pth', convae,
                config='convae_synthetic_tiny')
    model = build(contrastive_cfg)
    missing = expected_missing(model, convae)
    unexpected = [k for k in convae if k not in model.state_dict()]
    message = refused(monkeypatch, tmp_path, contrastive_cfg, ckpt)
    assert str(ckpt) in message
    assert 'contrastive_synthetic_tiny' in message
    assert f'{len(missing)} missing keys' in message
    assert f'{len(unexpected)} unexpected keys' in message
    assert missing[0] in message and unexpected[0] in message
    # it says which config the file was written for, and what to do
    assert "'convae_synthetic_tiny'" in message
    assert 'config it was trained with' in message


def test_empty_state_dict_is_refused(monkeypatch, tmp_path, contrastive_cfg):
    ckpt = save(tmp_path / 'empty.pth', {})
    missing = expected_missing(build(contrastive_cfg), {})
    message = refused(monkeypatch, tmp_path, contrastive_cfg, ckpt)
    assert str(ckpt) in message
    assert f'{len(missing)} missing keys' in message
    assert 'unexpected' not in message


def test_state_dict_without_temporal_branch_is_refused(
        monkeypatch, tmp_path, contrastive_cfg):
    model = build(contrastive_cfg)
    state = {k: v for k, v in model.state_dict().items()
             if not k.startswith('encoder.temporal.')}
    dropped = len(model.state_dict()) - len(state)
    assert dropped > 0
    ckpt = save(tmp_path / 'no_temporal.pth', state)
    message = refused(monkeypatch, tmp_path, contrastive_cfg, ckpt)
    assert f'{dropped} missing keys' in message
    assert 'encoder.temporal.' in message


def test_shape_mismatch_is_refused(tmp_path):
    from cbad.apis.scoring import init_detector
    from cbad.utils.checkpoint import CheckpointMismatchError
    state = build(CONVAE_TINY).state_dict()
    key = next(k for k, v in state.items() if v.ndim == 4)
    state[key] = torch.zeros(1, *state[key].shape[1:])
    ckpt = save(tmp_path / 'resized.pth', state)
    with pytest.raises(CheckpointMismatchError, match='1 shape mismatch') \
            as info:
        init_detector(CONVAE_TINY, str(ckpt))
    assert key in str(info.value)


def test_training_only_and_newer_buffers_may_be_missing(tmp_path):
    """FFP's discriminator (training-only) and the threshold_fit record (newer
    than the published checkpoints) are the only keys that may be absent."""
    from cbad.utils.checkpoint import load_checkpoint_strictly
    ffp = MODELS.build(dict(
        type='FuturePredictionDetector',
        generator=dict(type='UNetPredictor', in_frames=4, base_channels=4,
                       num_stages=3),
        discriminator=dict(type='PatchDiscriminator', base_channels=4,
                           num_layers=2)))
    state = {k: v for k, v in ffp.state_dict().items()
             if not k.startswith(('discriminator.', 'threshold_fit_'))}
    ckpt = save(tmp_path / 'published.pth', state)
    load_checkpoint_strictly(ffp, str(ckpt))
    # unknown counts: -1, reported as null in metrics.json
    assert int(ffp.threshold_fit_windows) == -1


# -------------------------------------------------- no fitting unless asked
def test_hook_does_not_fit_at_test_time_by_default():
    model = build(CONVAE_TINY)

    class Runner:
        pass

    runner = Runner()
    runner.model, runner.cfg = model, Config(dict(load_from='x.pth'))
    assert not model.is_fitted
    with pytest.raises(RuntimeError, match='fit_at_test_if_missing'):
        FitDetectorHook().before_test_epoch(runner)


def test_unfitted_checkpoint_needs_fit_if_missing(monkeypatch, tmp_path):
    model = build(CONVAE_TINY)
    ckpt = save(tmp_path / 'epoch_1.pth', model.state_dict())
    message = refused(monkeypatch, tmp_path, CONVAE_TINY, ckpt)
    assert str(ckpt) in message
    assert '--fit-if-missing' in message and 'tools/fit.py' in message

    # explicitly asked: fitted now, and metrics.json says so
    out = run_test_tool(monkeypatch, tmp_path, CONVAE_TINY, ckpt,
                        '--fit-if-missing')
    report = json.loads((out / 'metrics.json').read_text())
    assert report['fitted_at_test'] is True
    assert report['protocol']['threshold'] is not None
    # 4 videos: 1 whole 40-frame val video, windows of 16 every 4 -> 7
    assert report['protocol']['threshold_fit'] == dict(windows=7, videos=1)


# ----------------------------------------------- threshold fitted on little
def _val_loader(num_videos, num_frames):
    return FitDetectorHook._whole_split_loader(dict(batch_size=8, dataset=dict(
        type='SyntheticDataset', split='val', clip_len=10, val_ratio=0.25,
        test_mode=True, pipeline=GREY,
        scene_kwargs=dict(num_videos=num_videos, num_frames=num_frames,
                          height=48, width=64))))


@pytest.fixture
def logged():
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def _warnings(records):
    return [r.getMessage() for r in records if r.levelno >= logging.WARNING]


def test_threshold_on_few_windows_warns_with_counts(logged):
    # Two training videos: the val split is their trailing frames.
    model = build(CONVAE_TINY)
    fit_threshold(model, _val_loader(2, 40), segment_len=16, segment_stride=4)
    # 2 x max(clip_len 10, ceil(0.25 * 40)) = 2 x 10 frames: 1 window each
    assert (int(model.threshold_fit_windows),
            int(model.threshold_fit_videos)) == (2, 2)
    warnings = _warnings(logged)
    assert len(warnings) == 1, warnings
    assert '2 normal validation windows' in warnings[0]
    assert '2 videos' in warnings[0]
    assert f'at least {MIN_THRESHOLD_FIT_WINDOWS} windows' in warnings[0]


def test_threshold_on_enough_windows_does_not_warn(logged):
    # 8 training videos -> 2 whole 120-frame val videos -> 2 x 27 windows
    model = build(CONVAE_TINY)
    fit_threshold(model, _val_loader(8, 120), segment_len=16, segment_stride=4)
    assert int(model.threshold_fit_windows) == 54 >= MIN_THRESHOLD_FIT_WINDOWS
    assert int(model.threshold_fit_videos) == 2 >= MIN_THRESHOLD_FIT_VIDEOS
    assert _warnings(logged) == []


def test_metrics_json_records_threshold_fit_counts(monkeypatch, tmp_path):
    model = build(CONVAE_TINY)
    model.threshold.fill_(0.5)
    model.threshold_fit_windows.fill_(5)
    model.threshold_fit_videos.fill_(2)
    ckpt = save(tmp_path / 'fitted.pth', model.state_dict())
    out = run_test_tool(monkeypatch, tmp_path, CONVAE_TINY, ckpt)
    report = json.loads((out / 'metrics.json').read_text())
    assert report['protocol']['threshold'] == 0.5
    assert report['protocol']['threshold_fit'] == dict(windows=5, videos=2)
    assert report['fitted_at_test'] is False

    # a checkpoint from before the record: loads, counts unknown
    del model
    state = {k: v for k, v in torch.load(str(ckpt))['state_dict'].items()
             if not k.startswith('threshold_fit_')}
    old = save(tmp_path / 'old.pth', state)
    out = run_test_tool(monkeypatch, tmp_path, CONVAE_TINY, old)
    report = json.loads((out / 'metrics.json').read_text())
    assert report['protocol']['threshold_fit'] is None
