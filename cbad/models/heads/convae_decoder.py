"""Decoder of the convolutional autoencoder of Hasan et al. (CVPR 2016)."""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import nn

from cbad.registry import HEADS


@HEADS.register_module()
class ConvAEDecoder(nn.Module):
    """Mirror of :class:`ConvAEEncoder` that reconstructs the T frames.

    The paper unpools with the encoder's pooling switches; passing switches
    between two registered parts would couple them, so this decoder upsamples
    by a factor of 2 (bilinear) instead and ends with a transposed 11x11
    convolution of stride 4. The output is resized to the input size exactly,
    so any input resolution works.

    Args:
        out_frames (int): Frames to reconstruct. Defaults to 10.
        channels (Sequence[int]): Encoder widths, outermost first (same value
            as the encoder's). Defaults to (512, 256, 128).
        norm_cfg (dict, optional): Normalisation config. Defaults to None.
        act_cfg (dict): Activation config. Defaults to ``dict(type='Tanh')``.

    Shape:
        - x: (N, channels[-1], h, w) code.
        - output: (N, 1, T, H, W) reconstruction, ``out_size`` = (H, W).
    """

    def __init__(self,
                 out_frames: int = 10,
                 channels: Sequence[int] = (512, 256, 128),
                 norm_cfg: dict = None,
                 act_cfg: dict = dict(type='Tanh')) -> None:
        super().__init__()
        c1, c2, c3 = channels
        common = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.block3 = ConvModule(c3, c2, 3, padding=1, **common)
        self.block2 = ConvModule(c2, c1, 5, padding=2, **common)
        self.out_conv = nn.ConvTranspose2d(
            c1, out_frames, 11, stride=4, padding=4, output_padding=1)

    def forward(self, x: torch.Tensor,
                out_size: Tuple[int, int]) -> torch.Tensor:
        """Decode to a (N, 1, T, H, W) clip of size ``out_size``."""
        x = self.block3(x)
        x = F.interpolate(x, scale_factor=2, mode='bilinear',
                          align_corners=False)
        x = self.block2(x)
        x = F.interpolate(x, scale_factor=2, mode='bilinear',
                          align_corners=False)
        x = self.out_conv(x)  # N x T x ~H x ~W
        if tuple(x.shape[-2:]) != tuple(out_size):
            x = F.interpolate(x, size=out_size, mode='bilinear',
                              align_corners=False)
        return x.unsqueeze(1)
