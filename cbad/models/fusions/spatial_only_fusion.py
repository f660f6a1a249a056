"""Appearance-only ablation of the fusion of Eq. 11."""
from typing import Optional

import torch
from torch import nn

from cbad.registry import FUSIONS


@FUSIONS.register_module()
class SpatialOnlyFusion(nn.Module):
    """u_t = s_t: ignores the motion branch (no spatio-temporal encoding).

    The ablation rows without spatio-temporal encoding (M1 in the paper's
    table) use appearance features only. ``SpatioTemporalEncoder`` reads
    ``uses_motion = False`` and then skips the temporal branch, so it may be
    None.

    Shape:
        - s: (N, T, D) (any leading dims); m: ignored (may be None).
        - output: s.
    """

    uses_motion = False

    def forward(self, s: torch.Tensor,
                m: Optional[torch.Tensor] = None) -> torch.Tensor:
        return s
