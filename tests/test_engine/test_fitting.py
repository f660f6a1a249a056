"""cbad.engine: fitting a detector on normal data, in process (the fit
hook's other tests go through tools/train.py and tools/test.py)."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from cbad.engine import (FitDetectorHook, fit_detector, fit_threshold,
                         frame_scores_by_video)
from cbad.models.detectors.base_detector import BaseAnomalyDetector
from cbad.registry import register_all_modules
from cbad.structures import ClipDataSample, build_clip_index

register_all_modules()


class Brightness(BaseAnomalyDetector):
    """A frame's evidence is its mean intensity; records the fitting calls
    it gets (its fitting feature: a clip's mean brightness)."""

    fitted_on_training_normals = 'its brightness bank'
    fits_normalizers = True

    def __init__(self, **kwargs):
        kwargs.setdefault('data_preprocessor',
                          dict(type='ClipDataPreprocessor'))
        super().__init__(**kwargs)
        self.calls = []

    def loss(self, inputs, data_samples):
        return dict(loss=inputs.mean())

    def predict_frame_scores(self, inputs, data_samples=None):
        return inputs.float().mean(dim=(1, 3, 4))  # N x T

    def fitting_features(self, frames, sample=None):
        assert not self.training and not torch.is_grad_enabled()
        return float(frames.mean())

    def fit_scorers(self, features):
        self.calls.append(('scorers', features))

    def fit_normalizers(self, features):
        self.calls.append(('normalizers', features))


class MaxOnly(Brightness):
    supported_clip_to_frame = ('max', )


def _video(name, levels):
    """(1, L, 2, 2) frames of constant brightness ``levels[t]``."""
    levels = torch.as_tensor(levels, dtype=torch.float32)
    return name, levels.view(1, -1, 1, 1).expand(1, len(levels), 2, 2)


def _clip_batches(videos, clip_len=4, stride=2):
    """One batch per clip, as a clip-level loader gives them."""
    batches = []
    for name, frames in videos:
        length = frames.shape[1]
        for ids in build_clip_index(length, clip_len, stride):
            sample = ClipDataSample(metainfo=dict(
                video=name, frame_indices=ids, num_frames=length))
            batches.append(dict(inputs=[frames[:, ids]],
                                data_samples=[sample]))
    return batches


VAL = [_video('a', np.arange(10.)), _video('b', 3 * np.ones(7))]


def test_frame_scores_map_clips_back_to_each_frame():
    model = Brightness()
    scores = frame_scores_by_video(model, _clip_batches(VAL))
    assert sorted(scores) == ['a', 'b']
    np.testing.assert_allclose(scores['a'], np.arange(10.))
    np.testing.assert_allclose(scores['b'], 3 * np.ones(7))
    assert model.training  # the mode it had is restored


def test_threshold_is_fitted_on_the_metric_windows_and_recorded():
    model = Brightness(thresholder=dict(type='PercentileThresholder', q=100))
    delta = fit_threshold(model, _clip_batches(VAL), segment_len=4,
                          segment_stride=2)
    # windows of 4 every 2 (+ the end-aligned one): the largest window
    # mean is a's last window, frames 6..9
    assert delta == pytest.approx(7.5)
    assert float(model.threshold) == pytest.approx(7.5)
    windows = len(build_clip_index(10, 4, 2)) + len(build_clip_index(7, 4, 2))
    assert int(model.threshold_fit_windows) == windows == 4 + 3
    assert int(model.threshold_fit_videos) == 2
    assert model.threshold_metainfo()['threshold_fit_windows'] == 7
    with pytest.raises(ValueError, match='no clips'):
        fit_threshold(Brightness(), [])


def test_fit_detector_fits_scorers_then_normalizers_then_threshold():
    model = Brightness()
    train = _clip_batches([_video('t', [5., 5., 5., 5., 7., 7., 7., 7.])],
                          stride=4)
    val = _clip_batches(VAL)
    delta = fit_detector(model, train, val, segment_len=4, segment_stride=2)
    # the fitter ran the loaders and handed over each clip's feature
    assert model.calls[0] == ('scorers', [5.0, 7.0])
    assert model.calls[1][0] == 'normalizers' and len(model.calls[1][1]) == 7
    assert len(model.calls) == 2 and model.training
    assert np.isfinite(delta) and model.is_fitted
    with pytest.raises(ValueError, match='brightness bank.*fit_train'):
        fit_detector(Brightness(), None, val)
    with pytest.raises(ValueError, match='yielded no videos or clips'):
        fit_detector(Brightness(), [], val)


def test_a_reduction_the_detector_cannot_read_is_refused_before_fitting():
    model = MaxOnly()
    with pytest.raises(ValueError, match=r"clip_to_frame in \('max',\)"):
        fit_detector(model, _clip_batches(VAL), _clip_batches(VAL),
                     clip_to_frame='mean')
    assert model.calls == [] and not model.is_fitted
    fit_detector(model, _clip_batches(VAL), _clip_batches(VAL),
                 segment_len=4, segment_stride=2, clip_to_frame='max')
    assert model.is_fitted


class _Runner:
    """What the hook reads of an mmengine Runner."""

    def __init__(self, model, cfg, epoch=0, max_epochs=3):
        self.model, self.cfg = model, Config(cfg)
        self.epoch, self.max_epochs = epoch, max_epochs

        class Logger:
            def info(self, message):
                pass

            warning = info

        self.logger = Logger()


def test_hook_reads_the_protocol_of_the_test_metric():
    runner = _Runner(Brightness(), dict(test_evaluator=dict(
        type='VideoAnomalyMetric', segment_len=8, clip_to_frame='max')))
    assert FitDetectorHook()._threshold_kwargs(runner) == dict(
        segment_len=8, segment_stride=4, clip_to_frame='max')
    # the hook's own settings win; nothing set: the documented defaults
    assert FitDetectorHook(segment_stride=2)._threshold_kwargs(
        runner)['segment_stride'] == 2
    assert FitDetectorHook()._threshold_kwargs(_Runner(Brightness(), {})) \
        == dict(segment_len=16, segment_stride=4, clip_to_frame='mean')


def test_hook_fits_after_the_last_epoch_only(monkeypatch):
    fitted = []
    monkeypatch.setattr(FitDetectorHook, 'fit',
                        lambda self, runner: fitted.append(runner.epoch))
    hook = FitDetectorHook()
    for epoch in range(3):
        hook.after_train_epoch(_Runner(Brightness(), {}, epoch))
    assert fitted == [2]
    periodic = FitDetectorHook(interval=2)
    for epoch in range(5):
        periodic.after_train_epoch(_Runner(Brightness(), {}, epoch, 5))
    assert fitted == [2, 1, 3, 4]


def test_hook_without_a_fit_loader_says_what_to_add():
    with pytest.raises(RuntimeError, match='fit_dataloader'):
        FitDetectorHook().fit(_Runner(Brightness(), {}))


def test_fitting_defaults_to_the_reduction_the_detector_reads():
    model = MaxOnly()  # supports only 'max': fitted without saying so
    fit_threshold(model, _clip_batches(VAL), segment_len=4, segment_stride=2)
    assert model.is_fitted
