"""Parameter-free sum of appearance and motion features (Eq. 11 ablation)."""
from typing import Optional

import torch
from torch import nn

from cbad.registry import FUSIONS
from ._checks import check_pair


@FUSIONS.register_module()
class SumFusion(nn.Module):
    """u_t = s_t + m_t, a parameter-free ablation of Eq. 11.

    Shape:
        - s, m: (N, T, D) (any leading dims).
        - output: same as s.
    """

    uses_motion = True

    def forward(self, s: torch.Tensor,
                m: Optional[torch.Tensor]) -> torch.Tensor:
        check_pair(type(self).__name__, s, m, None)
        return s + m
