"""3D-convolutional encoder of MemAE (Gong et al., ICCV 2019)."""
from typing import Optional, Sequence

import torch
from mmcv.cnn import ConvModule
from torch import nn

from cbad.registry import ENCODERS

#: Strides (t, h, w) of the four blocks: the first keeps the time axis.
MEMAE_STRIDES = ((1, 2, 2), (2, 2, 2), (2, 2, 2), (2, 2, 2))


@ENCODERS.register_module()
class MemAEEncoder(nn.Module):
    """Four 3x3x3 convolutions, each BN + LeakyReLU(0.2), down to a code map.

    The layout of the authors' video model: widths 96, 128, 256, 256 and
    strides (1, 2, 2) then (2, 2, 2) three times, so a 16-frame clip becomes a
    2 x H/16 x W/16 map of ``channels[-1]``-dim codes, each a query of the
    memory module.

    Args:
        in_channels (int): Channels of the input clip. Defaults to 1 (grey).
        channels (Sequence[int]): Widths of the four blocks.
            Defaults to (96, 128, 256, 256), the paper's.
        norm_cfg (dict, optional): Normalisation config.
            Defaults to ``dict(type='BN3d')``.
        act_cfg (dict): Activation config.
            Defaults to ``dict(type='LeakyReLU', negative_slope=0.2)``.

    Shape:
        - x: (N, C, T, H, W) clip.
        - output: (N, channels[-1], T / 8, H / 16, W / 16), rounded up.
    """

    def __init__(self,
                 in_channels: int = 1,
                 channels: Sequence[int] = (96, 128, 256, 256),
                 norm_cfg: Optional[dict] = dict(type='BN3d'),
                 act_cfg: dict = dict(type='LeakyReLU',
                                      negative_slope=0.2)) -> None:
        super().__init__()
        if len(channels) != len(MEMAE_STRIDES):
            raise ValueError(f'channels needs {len(MEMAE_STRIDES)} widths, '
                             f'got {tuple(channels)}')
        self.in_channels = in_channels
        self.channels = tuple(channels)
        blocks, c_in = [], in_channels
        for c_out, stride in zip(channels, MEMAE_STRIDES):
            blocks.append(
                ConvModule(c_in, c_out, 3, stride=stride, padding=1,
                           conv_cfg=dict(type='Conv3d'), norm_cfg=norm_cfg,
                           act_cfg=act_cfg))
            c_in = c_out
        self.layers = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Encode a clip into its code map."""
        if x.dim() != 5 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'MemAEEncoder expects (N, {self.in_channels}, T, H, W) '
                f'clips, got {tuple(x.shape)}; MemAE reads grey frames '
                '(LoadClipFrames(to_gray=True)).')
        return self.layers(x)
