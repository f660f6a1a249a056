"""Spatial (appearance) branch of the spatio-temporal encoder (Eq. 3)."""
from typing import Optional, Sequence

import torch
from mmcv.cnn import ConvModule
from torch import nn

from cbad.registry import ENCODERS


@ENCODERS.register_module()
class SpatialConvBranch(nn.Module):
    """Small 2D CNN that maps every frame to an appearance feature s_t.

    Eq. 3 of the paper: s_t = f_s(x_t). Each frame is encoded on its own, so
    the feature of a frame does not depend on the window it is seen in; the
    test-time pipeline computes it once per video and reuses it for every
    window that covers the frame.

    Layout: one ``ConvModule`` (conv ``kernel_size``, norm, ReLU) per entry of
    ``channels`` with the matching stride, then a 1x1 conv to ``out_dim`` with
    a norm and *no* activation, then global average pooling. The output is
    signed on purpose: ReLU features fused by a sigmoid gate put nearly all
    embeddings inside one narrow cone (PAPER.md, CPU calibration notes).

    With the defaults, a 64x96 frame gives an 8x12 grid and a 112x160 frame a
    14x20 grid before pooling.

    Args:
        in_channels (int): Channels of a frame (3 for BGR, 1 for grey).
            Defaults to 3.
        channels (Sequence[int]): Widths of the conv blocks; their number is
            the depth. Defaults to (32, 64, 128).
        strides (Sequence[int], optional): Stride of each block. Defaults to
            None, meaning 2 for every block.
        kernel_size (int): Kernel of the conv blocks. Defaults to 3.
        out_dim (int): Feature size D. Defaults to 256 (the paper's value).
        norm_cfg (dict): Norm config, e.g. ``dict(type='GN', num_groups=8)``.
            Defaults to ``dict(type='BN')``.
        pool (str): ``'avg'`` pools to one vector per frame; ``'none'``
            returns the grid of local features. Defaults to ``'avg'``.

    Shape:
        - frames: (N, C, T, H, W) normalised clip.
        - output: (N, T, D) if ``pool='avg'``, else (N, T, gh, gw, D).
    """

    def __init__(self,
                 in_channels: int = 3,
                 channels: Sequence[int] = (32, 64, 128),
                 strides: Optional[Sequence[int]] = None,
                 kernel_size: int = 3,
                 out_dim: int = 256,
                 norm_cfg: dict = dict(type='BN'),
                 pool: str = 'avg') -> None:
        super().__init__()
        if len(channels) == 0:
            raise ValueError('channels needs at least one width, got ()')
        strides = tuple(strides) if strides is not None else (2, ) * len(
            channels)
        if len(strides) != len(channels):
            raise ValueError(
                f'strides {strides} must have one entry per width in '
                f'channels {tuple(channels)}')
        if pool not in ('avg', 'none'):
            raise ValueError(f"pool must be 'avg' or 'none', got {pool!r}")
        self.in_channels = in_channels
        self.out_dim = out_dim
        self.pool = pool
        layers = []
        width_in = in_channels
        for width, stride in zip(channels, strides):
            layers.append(
                ConvModule(
                    width_in,
                    width,
                    kernel_size,
                    stride=stride,
                    padding=kernel_size // 2,
                    norm_cfg=norm_cfg))
            width_in = width
        # linear (norm, no ReLU) output: see the class docstring
        layers.append(
            ConvModule(width_in, out_dim, 1, norm_cfg=norm_cfg, act_cfg=None))
        self.layers = nn.Sequential(*layers)

    def _check_clip(self, frames: torch.Tensor) -> None:
        if frames.dim() != 5 or frames.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} expects clips of shape '
                f'(N, {self.in_channels}, T, H, W), got '
                f'{tuple(frames.shape)}; set in_channels to the number of '
                f'colour channels.')

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """Run the CNN on a batch of single images.

        Args:
            images (torch.Tensor): (M, C, H, W) frames or frame differences.

        Returns:
            torch.Tensor: (M, D) if ``pool='avg'``, else (M, gh, gw, D).
        """
        grid = self.layers(images)  # M x D x gh x gw
        if self.pool == 'avg':
            return grid.mean(dim=(2, 3))
        return grid.permute(0, 2, 3, 1)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Encode each frame of the clips independently (Eq. 3)."""
        self._check_clip(frames)
        n, c, t, h, w = frames.shape
        images = frames.transpose(1, 2).reshape(n * t, c, h, w)
        feats = self.encode_images(images)
        return feats.reshape(n, t, *feats.shape[1:])
