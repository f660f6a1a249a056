"""The label-free pseudo-anomaly validation signals of tools/analysis."""
import json
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config

from cbad.datasets.pseudo_anomalies import KINDS as OBJECT_KINDS
from cbad.models.detectors.window_streams import score_windows
from cbad.registry import MODELS, register_all_modules
from cbad.utils.cli import run_cli

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis'))
import pseudo_anomaly_auc  # noqa: E402
from pseudo_anomaly_auc import speed_up_auc, sped_up  # noqa: E402


class FrameDifference:
    """Stand-in clip detector: a frame's evidence is its mean absolute
    difference to the previous frame of the clip (the first frame takes the
    second's). Whole videos are scored window by window, as every clip-level
    detector's ``score_video`` does."""

    def score_video(self, frames, clip_len, stride, reduce='mean',
                    batch_size=16, whole_video=False):
        return score_windows(self, frames, clip_len, stride, reduce,
                             batch_size)

    def predict_frame_scores(self, clips):  # N x C x T x H x W
        diff = (clips[:, :, 1:] - clips[:, :, :-1]).abs().mean(dim=(1, 3, 4))
        return torch.cat([diff[:, :1], diff], dim=1)


def _moving_bar(length=40, width=6):
    """A bar ``width`` columns wide moving one column a frame."""
    video = torch.zeros(1, length, 8, 64)
    for t in range(length):
        video[0, t, :, t:t + width] = 1.0
    return video


def test_sped_up_whole_frame_and_box():
    video = torch.arange(10.).view(1, 10, 1, 1).expand(1, 10, 4, 4).clone()
    fast = sped_up(video, 3)
    assert fast[0, :, 0, 0].tolist() == [0., 3., 6., 9.]
    local = sped_up(video, 2, box=(0.5, 0.5, 0.5, 0.5))
    assert local.shape == (1, 5, 4, 4)
    assert local[0, :, 3, 3].tolist() == [0., 2., 4., 6., 8.]  # inside
    assert local[0, :, 0, 0].tolist() == [0., 1., 2., 3., 4.]  # outside


def test_a_motion_detector_separates_sped_up_videos():
    geometry = dict(clip_len=4, stride=2, video_level=False, reduce='mean')
    videos = [_moving_bar(), _moving_bar(37)]
    result = speed_up_auc(FrameDifference(), videos, geometry, speeds=(2, ))
    # a wide bar moving 2 columns a frame changes 4 columns per frame, at
    # normal speed 2: every sped-up frame outranks every original one
    assert result['auc_x2'] == 1.0 == result['auc']
    assert result['num_frames'] == 40 + 37
    with pytest.raises(ValueError, match='>= 2'):
        speed_up_auc(FrameDifference(), videos, geometry, speeds=(1, ))


class FrameDifferenceDetector(FrameDifference, torch.nn.Module):
    """:class:`FrameDifference` with what the tool's ``run`` asks of a
    fitted detector: a config, a data preprocessor, ``is_fitted``."""

    def __init__(self, cfg):
        torch.nn.Module.__init__(self)
        self.cfg = cfg
        self.is_fitted = True
        self.data_preprocessor = MODELS.build(dict(
            type='ClipDataPreprocessor', mean=[127.5], std=[127.5]))


def test_object_kinds_on_the_synthetic_scene(tmp_path, monkeypatch, capsys):
    register_all_modules()
    config = osp.join(REPO, 'configs', 'convae', 'convae_synthetic.py')
    model = FrameDifferenceDetector(Config.fromfile(config))
    monkeypatch.setattr(pseudo_anomaly_auc, 'init_detector',
                        lambda *args, **kwargs: model)
    assert pseudo_anomaly_auc.parse_args([config, 'x.pth']).kinds == [
        'speed']  # today's behaviour stays the default
    out = tmp_path / 'aucs.json'
    argv = [config, 'x.pth', '--kinds', 'speed', *OBJECT_KINDS, '--seed',
            '0', '--repeats', '2', '--speeds', '2', '--out', str(out)]
    assert run_cli(lambda: pseudo_anomaly_auc.main(argv)) == 0
    assert 'object_pasted_reversed' in capsys.readouterr().out  # the table
    result = json.loads(out.read_text())
    kinds = result['kinds']
    assert list(kinds) == ['speed', *OBJECT_KINDS]
    # today's keys are kept at the top level for the speed-up
    assert result['auc'] == kinds['speed']['auc'] == result['auc_x2']
    # 2 validation videos of 120 frames, each edited by every kind
    assert result['num_normal_frames'] == 240 == result['num_frames']
    for kind in OBJECT_KINDS:
        assert kinds[kind]['edits'] == {'train_02': 2, 'train_06': 2}
        assert kinds[kind]['num_frames'] >= 4 * 16
    # A frame-difference detector sees faster objects and an extra pasted
    # object as more motion, and a frozen object as less.
    assert kinds['object_faster']['auc'] > 0.6
    assert kinds['object_pasted_reversed']['auc'] > 0.6
    assert kinds['object_stopped']['auc'] < 0.35
    assert 0 < result['auc_objects'] < 1


def test_edited_frames_go_through_the_test_pipeline_like_the_dataset():
    register_all_modules()
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'convae', 'convae_synthetic.py'))
    cfg.test_dataloader.dataset.pipeline.insert(
        1, dict(type='ResizeClip', size=(60, 80)))
    model = FrameDifferenceDetector(cfg)
    videos = pseudo_anomaly_auc.SourceVideos(
        pseudo_anomaly_auc.validation_dataset(cfg))
    name, frames = videos[1]
    assert frames.shape == (120, 120, 160)  # source resolution, grey
    expected = pseudo_anomaly_auc.validation_videos(model, cfg)[1]
    assert expected.shape == (1, 120, 60, 80)
    assert torch.equal(videos.to_inputs(model, 1, frames), expected)
