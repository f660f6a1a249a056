"""Patch discriminator of Future Frame Prediction (Liu et al., CVPR 2018)."""
from typing import Optional

import torch
from mmcv.cnn import ConvModule
from torch import nn

from cbad.registry import HEADS


@HEADS.register_module()
class PatchDiscriminator(nn.Module):
    """Scores every receptive-field patch of a frame as real or predicted.

    A PatchGAN (pix2pix): ``num_layers`` 4x4 convolutions of stride 2 with
    widths ``base_channels * 2**i`` (capped at ``max_channels``), one 4x4
    convolution of stride 1, then a 4x4 convolution to one channel. FFP's
    discriminator has widths (128, 256, 512, 512) (``base_channels=128``,
    ``num_layers=3``). The output is a raw score map; the least-squares GAN
    loss (:class:`AdversarialLoss`) compares it with 1 (real) or 0
    (predicted) per patch.

    Args:
        in_channels (int): Channels per frame. Defaults to 1.
        base_channels (int): Width of the first layer. Defaults to 64.
        num_layers (int): Stride-2 layers. Defaults to 3.
        max_channels (int): Width cap. Defaults to 512.
        norm_cfg (dict, optional): Normalisation after every layer but the
            first and the last. Defaults to ``dict(type='BN')`` (FFP's code:
            None).
        padding_mode (str): Padding of the 4x4 convolutions: ``'zeros'``
            or ``'reflect'`` (FFP's code). Defaults to ``'zeros'``.

    Shape:
        - x: (N, C, H, W) frame.
        - output: (N, 1, h, w) per-patch realness, h ~ H / 2**num_layers.
    """

    def __init__(self,
                 in_channels: int = 1,
                 base_channels: int = 64,
                 num_layers: int = 3,
                 max_channels: int = 512,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 padding_mode: str = 'zeros') -> None:
        super().__init__()
        act_cfg = dict(type='LeakyReLU', negative_slope=0.2)
        layers = []
        c_prev = in_channels
        for i in range(num_layers + 1):
            width = min(base_channels * 2**i, max_channels)
            layers.append(
                ConvModule(
                    c_prev, width, 4,
                    stride=2 if i < num_layers else 1,
                    padding=1,
                    padding_mode=padding_mode,
                    norm_cfg=norm_cfg if i > 0 else None,
                    act_cfg=act_cfg))
            c_prev = width
        layers.append(nn.Conv2d(c_prev, 1, 4, stride=1, padding=1,
                                padding_mode=padding_mode))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Per-patch realness scores of a batch of frames."""
        if x.dim() != 4:
            raise ValueError(f'PatchDiscriminator expects (N, C, H, W) '
                             f'frames, got {tuple(x.shape)}.')
        return self.layers(x)
