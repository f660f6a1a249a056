"""Hard negatives that share a clip's appearance but not its motion."""
from typing import Sequence, Tuple

import torch
from torch import nn

from cbad.registry import MODELS


@MODELS.register_module()
class SpeedNegative(nn.Module):
    """Split a long training clip into an anchor and a sped-up copy.

    Not in the paper: a cbad variant against a shortcut of instance
    contrast on fixed-camera video. Windows of different videos differ by
    their static layout (where people stand), so InfoNCE can be solved from
    appearance alone and the embedding need not encode motion (on Ped2 the
    trained encoder ranks anomalies worse than a random one; see
    configs/cbad/README.md). A copy of the same clip played ``s`` times
    faster shows the same scene and people but faster motion; used as an
    extra negative of its anchor (``InstanceContrastLoss``'s
    ``extra_negatives``), appearance cannot tell the two apart, only motion
    can. Speed is what most Ped2/Avenue anomalies change (bicycles, carts,
    running); the variant is reported as such, beside the faithful model.

    The training dataset loads ``clip_len * max(speeds)`` frames per clip.
    The anchor is the first ``clip_len`` frames (the usual clip, starting at
    the same frame), the negative takes every ``s``-th frame from the start,
    ``s`` drawn per clip from ``speeds``.

    Args:
        clip_len (int): Frames of the anchor and of the negative.
        speeds (Sequence[int]): Speed-up factors to draw from, each >= 2.
            Defaults to (2, ).

    Shape:
        - x: (N, C, T_load, H, W) with T_load >= clip_len * max(speeds).
        - output: two (N, C, clip_len, H, W) tensors, (anchors, negatives).
    """

    def __init__(self, clip_len: int = 16,
                 speeds: Sequence[int] = (2, )) -> None:
        super().__init__()
        speeds = tuple(int(s) for s in speeds)
        if not speeds or min(speeds) < 2:
            raise ValueError(
                f'speeds must hold integer factors >= 2, got {speeds}.')
        if clip_len < 2:
            raise ValueError(f'clip_len must be >= 2, got {clip_len}.')
        self.clip_len = int(clip_len)
        self.speeds = speeds

    @property
    def load_len(self) -> int:
        """Frames a training clip must hold (set the dataset's clip_len)."""
        return self.clip_len * max(self.speeds)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if x.dim() != 5 or x.shape[2] < self.load_len:
            raise ValueError(
                f'SpeedNegative needs clips (N, C, T, H, W) with T >= '
                f'clip_len * max(speeds) = {self.load_len}, got '
                f'{tuple(x.shape)}; set the training dataset clip_len to '
                f'{self.load_len}.')
        n, c, _, h, w = x.shape
        steps = torch.arange(self.clip_len, device=x.device)
        pick = torch.randint(len(self.speeds), (n, ), device=x.device)
        speed = torch.as_tensor(self.speeds, device=x.device)[pick]  # N
        index = (steps[None] * speed[:, None]).view(
            n, 1, self.clip_len, 1, 1).expand(n, c, self.clip_len, h, w)
        return x[:, :, :self.clip_len], torch.gather(x, 2, index)
