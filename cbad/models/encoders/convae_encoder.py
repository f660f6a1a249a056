"""Encoder of the convolutional autoencoder of Hasan et al. (CVPR 2016)."""
from typing import Sequence

import torch
from mmcv.cnn import ConvModule
from torch import nn

from cbad.registry import ENCODERS


@ENCODERS.register_module()
class ConvAEEncoder(nn.Module):
    """Frames stacked as channels -> three conv blocks with two poolings.

    Hasan et al. feed a cuboid of ``T`` consecutive grey frames as ``T`` input
    channels: conv 11x11 stride 4, pool, conv 5x5, pool, conv 3x3, with tanh.
    The widths (512, 256, 128 in the paper) are configurable so the model fits
    a CPU budget.

    Args:
        in_frames (int): Frames per clip (the channels of the first conv).
            Defaults to 10, the paper's value.
        channels (Sequence[int]): Widths of the three conv blocks.
            Defaults to (512, 256, 128).
        norm_cfg (dict, optional): Normalisation layer config; the paper has
            none. Defaults to None.
        act_cfg (dict): Activation config. Defaults to ``dict(type='Tanh')``.

    Shape:
        - x: (N, 1, T, H, W) grey clip.
        - output: (N, channels[-1], H / 16, W / 16) roughly.
    """

    def __init__(self,
                 in_frames: int = 10,
                 channels: Sequence[int] = (512, 256, 128),
                 norm_cfg: dict = None,
                 act_cfg: dict = dict(type='Tanh')) -> None:
        super().__init__()
        if len(channels) != 3:
            raise ValueError(f'channels needs 3 widths, got {channels}')
        self.in_frames = in_frames
        self.channels = tuple(channels)
        c1, c2, c3 = channels
        common = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.layers = nn.Sequential(
            ConvModule(in_frames, c1, 11, stride=4, padding=5, **common),
            nn.MaxPool2d(2),
            ConvModule(c1, c2, 5, padding=2, **common),
            nn.MaxPool2d(2),
            ConvModule(c2, c3, 3, padding=1, **common),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Encode a grey clip; the time axis becomes the channel axis."""
        if x.dim() != 5 or x.shape[1] != 1 or x.shape[2] != self.in_frames:
            raise ValueError(
                f'ConvAEEncoder expects (N, 1, {self.in_frames}, H, W) grey '
                f'clips, got {tuple(x.shape)}; load frames with to_gray=True '
                f'and clip_len={self.in_frames}.')
        return self.layers(x[:, 0])  # N x T x H x W -> N x c3 x h x w
