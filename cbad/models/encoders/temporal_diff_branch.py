"""Temporal (motion) branch of the spatio-temporal encoder (Eq. 4)."""
from typing import Optional

import torch

from cbad.registry import ENCODERS
from .spatial_conv_branch import SpatialConvBranch


@ENCODERS.register_module()
class TemporalDiffBranch(SpatialConvBranch):
    """Small 2D CNN on adjacent-frame differences: m_t = f_m(x_t - x_{t-1}).

    Eq. 4 of the paper. The CNN is the same as :class:`SpatialConvBranch`'s
    (own weights); only its input differs. Every step is encoded on its own,
    so m_t depends on frames t-1 and t only and a video can be encoded in
    chunks: pass the last frame of the previous chunk as ``prev_frame``.

    First frame: with ``prev_frame=None`` the first step gets a *zero*
    difference ("no motion"). In training, clips are usually loaded without
    the frame before them, so step 0 of every training clip sees a zero
    difference, while at test time, when a whole video is encoded in chunks,
    only frame 0 of the video does. This affects 1 step in T; a pipeline that
    loads one extra frame can pass it as ``prev_frame`` to remove the
    mismatch.

    Args:
        in_channels (int): Channels of a frame. Defaults to 3.
        channels (Sequence[int]): Widths of the conv blocks. Defaults to
            (32, 64, 128).
        strides (Sequence[int], optional): Stride of each block. Defaults to
            None, meaning 2 for every block.
        kernel_size (int): Kernel of the conv blocks. Defaults to 3.
        out_dim (int): Feature size D. Defaults to 256.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        pool (str): ``'avg'`` or ``'none'`` (grid). Defaults to ``'avg'``.

    Shape:
        - frames: (N, C, T, H, W) normalised clip.
        - prev_frame: (N, C, H, W), the frame just before ``frames``, or None.
        - output: (N, T, D) if ``pool='avg'``, else (N, T, gh, gw, D).
    """

    @staticmethod
    def frame_differences(frames: torch.Tensor,
                          prev_frame: Optional[torch.Tensor] = None
                          ) -> torch.Tensor:
        """x_t - x_{t-1} for every step; zero for step 0 without a previous
        frame.

        Args:
            frames (torch.Tensor): (N, C, T, H, W).
            prev_frame (torch.Tensor, optional): (N, C, H, W). Defaults to
                None.

        Returns:
            torch.Tensor: (N, C, T, H, W) differences.
        """
        if prev_frame is None:
            first = frames[:, :, :1]  # zero difference for step 0
        else:
            n, c, _, h, w = frames.shape
            if tuple(prev_frame.shape) != (n, c, h, w):
                raise ValueError(
                    f'prev_frame must have shape (N, C, H, W) = '
                    f'{(n, c, h, w)} to match frames {tuple(frames.shape)}, '
                    f'got {tuple(prev_frame.shape)}; pass the last frame of '
                    f'the previous chunk, frames[:, :, -1].')
            first = prev_frame.unsqueeze(2)
        previous = torch.cat([first, frames[:, :, :-1]], dim=2)
        return frames - previous

    def forward(self,
                frames: torch.Tensor,
                prev_frame: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Encode the motion of each step independently (Eq. 4)."""
        self._check_clip(frames)
        diffs = self.frame_differences(frames, prev_frame)
        return super().forward(diffs)
