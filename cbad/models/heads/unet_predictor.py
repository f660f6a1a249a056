"""U-Net generator of Future Frame Prediction (Liu et al., CVPR 2018)."""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer
from torch import nn

from cbad.registry import HEADS


@HEADS.register_module()
class UNetPredictor(nn.Module):
    """Predicts the next frame from ``in_frames`` previous frames.

    The frames are stacked on the channel axis, as in FFP. Each encoder stage
    is two 3x3 convolutions (width ``base_channels * 2**i``) followed by a
    2x2 max-pool; each decoder stage upsamples by a transposed 2x2
    convolution, concatenates the encoder's feature map of the same
    resolution (the skip connection that keeps high-frequency detail) and
    applies two 3x3 convolutions. A 3x3 convolution and ``tanh`` map back to
    ``in_channels`` (inputs normalised to [-1, 1]). Any H, W works: a decoder
    map whose size differs from its skip (odd sizes) is resized to it.

    Args:
        in_frames (int): Past frames per prediction (FFP: 4). Defaults to 4.
        in_channels (int): Channels per frame (1 grey, 3 colour).
            Defaults to 1.
        base_channels (int): Width of the first stage (FFP: 64).
            Defaults to 64.
        num_stages (int): Encoder stages, i.e. ``num_stages - 1`` poolings
            (FFP: 4). Defaults to 4.
        norm_cfg (dict, optional): Normalisation of the convolutions. FFP
            uses none. Defaults to None.
        act_cfg (dict): Activation. Defaults to ``dict(type='ReLU')``.
        out_tanh (bool): End with ``tanh``. Defaults to True.
        up_act (bool): Apply the activation after each transposed
            convolution too, as the FFP authors' code does. Defaults to
            False (the layout cbad's CPU recipes were trained with).

    Shape:
        - x: (N, C, T_in, H, W) past frames, ``T_in == in_frames``.
        - output: (N, C, H, W) predicted next frame.
    """

    def __init__(self,
                 in_frames: int = 4,
                 in_channels: int = 1,
                 base_channels: int = 64,
                 num_stages: int = 4,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: dict = dict(type='ReLU'),
                 out_tanh: bool = True,
                 up_act: bool = False) -> None:
        super().__init__()
        if in_frames < 1 or num_stages < 1:
            raise ValueError(f'in_frames and num_stages must be >= 1, got '
                             f'{in_frames} and {num_stages}.')
        self.in_frames = in_frames
        self.in_channels = in_channels
        self.out_tanh = out_tanh
        # parameter-free, so checkpoints fit both layouts
        self.up_act = build_activation_layer(act_cfg) if up_act else None
        common = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        widths = [base_channels * 2**i for i in range(num_stages)]

        def double_conv(c_in: int, c_out: int) -> nn.Sequential:
            return nn.Sequential(
                ConvModule(c_in, c_out, 3, padding=1, **common),
                ConvModule(c_out, c_out, 3, padding=1, **common))

        self.down = nn.ModuleList()
        c_prev = in_frames * in_channels
        for width in widths:
            self.down.append(double_conv(c_prev, width))
            c_prev = width
        self.upsample = nn.ModuleList()
        self.up = nn.ModuleList()
        for width in reversed(widths[:-1]):
            self.upsample.append(
                nn.ConvTranspose2d(c_prev, width, 2, stride=2))
            self.up.append(double_conv(2 * width, width))
            c_prev = width
        self.out_conv = nn.Conv2d(c_prev, in_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predict frame T_in from frames 0..T_in-1."""
        if x.dim() != 5 or x.shape[1] != self.in_channels or \
                x.shape[2] != self.in_frames:
            raise ValueError(
                f'UNetPredictor expects (N, {self.in_channels}, '
                f'{self.in_frames}, H, W) past frames, got {tuple(x.shape)}; '
                'check in_channels (to_gray) and in_frames.')
        n, c, t, h, w = x.shape
        x = x.transpose(1, 2).reshape(n, t * c, h, w)  # frames as channels
        skips: List[torch.Tensor] = []
        for i, stage in enumerate(self.down):
            if i > 0:
                x = F.max_pool2d(x, 2, ceil_mode=True)
            x = stage(x)
            skips.append(x)
        for upsample, stage, skip in zip(self.upsample, self.up,
                                         reversed(skips[:-1])):
            x = upsample(x)
            if self.up_act is not None:
                x = self.up_act(x)
            if x.shape[-2:] != skip.shape[-2:]:
                x = F.interpolate(x, size=skip.shape[-2:], mode='bilinear',
                                  align_corners=False)
            x = stage(torch.cat([skip, x], dim=1))
        x = self.out_conv(x)  # N x C x H x W
        return torch.tanh(x) if self.out_tanh else x
