"""3D-deconvolutional decoder of MemAE (Gong et al., ICCV 2019)."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import nn

from cbad.registry import HEADS

#: Strides (t, h, w) of the four blocks, the encoder's in reverse.
MEMAE_DECODER_STRIDES = ((2, 2, 2), (2, 2, 2), (2, 2, 2), (1, 2, 2))


@HEADS.register_module()
class MemAEDecoder(nn.Module):
    """Mirror of :class:`MemAEEncoder`: four transposed 3x3x3 convolutions.

    Every block but the last is followed by BN + LeakyReLU(0.2); the last
    block outputs the reconstruction linearly (the clips are normalised to
    [-1, 1] by the data preprocessor). When the clip's size is not a multiple
    of (8, 16, 16), the output is resized to it (trilinear), so any size
    works.

    Args:
        out_channels (int): Channels of the reconstructed clip.
            Defaults to 1 (grey).
        channels (Sequence[int]): The encoder's widths, outermost first (same
            value as the encoder's). Defaults to (96, 128, 256, 256).
        norm_cfg (dict, optional): Normalisation config.
            Defaults to ``dict(type='BN3d')``.
        act_cfg (dict): Activation config.
            Defaults to ``dict(type='LeakyReLU', negative_slope=0.2)``.

    Shape:
        - x: (N, channels[-1], t, h, w) code map (after the memory).
        - output: (N, out_channels, T, H, W), ``out_size`` = (T, H, W) or
          (H, W) (then T = 8 t).
    """

    def __init__(self,
                 out_channels: int = 1,
                 channels: Sequence[int] = (96, 128, 256, 256),
                 norm_cfg: Optional[dict] = dict(type='BN3d'),
                 act_cfg: dict = dict(type='LeakyReLU',
                                      negative_slope=0.2)) -> None:
        super().__init__()
        if len(channels) != len(MEMAE_DECODER_STRIDES):
            raise ValueError(f'channels needs {len(MEMAE_DECODER_STRIDES)} '
                             f'widths, got {tuple(channels)}')
        widths = list(reversed(channels)) + [out_channels]  # 256 ... 96, C
        blocks = []
        for i, stride in enumerate(MEMAE_DECODER_STRIDES):
            c_in, c_out = widths[i], widths[i + 1]
            # output_padding makes each stride-s block multiply the size by s
            layers = [nn.ConvTranspose3d(
                c_in, c_out, 3, stride=stride, padding=1,
                output_padding=tuple(s - 1 for s in stride))]
            if i < len(MEMAE_DECODER_STRIDES) - 1:
                if norm_cfg is not None:
                    layers.append(build_norm_layer(norm_cfg, c_out)[1])
                layers.append(build_activation_layer(act_cfg))
            blocks.append(nn.Sequential(*layers))
        self.layers = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor,
                out_size: Sequence[int]) -> torch.Tensor:
        """Decode to a clip of size ``out_size``."""
        x = self.layers(x)  # N x C x 8t x 16h x 16w
        out_size = tuple(out_size)
        if len(out_size) == 2:
            out_size = (x.shape[2], ) + out_size
        if tuple(x.shape[2:]) != out_size:
            x = F.interpolate(x, size=out_size, mode='trilinear',
                              align_corners=False)
        return x
