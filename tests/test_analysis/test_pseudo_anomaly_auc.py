"""The label-free speed-up validation signal of tools/analysis."""
import os.path as osp
import sys

import pytest
import torch

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'tools', 'analysis'))
from pseudo_anomaly_auc import speed_up_auc, sped_up  # noqa: E402


class FrameDifference:
    """Stand-in clip detector: a frame's evidence is its mean absolute
    difference to the previous frame of the clip (the first frame takes the
    second's)."""

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
