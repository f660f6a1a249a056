"""Concatenation baseline for the fusion of Eq. 11."""
from typing import Optional

import torch
from torch import nn

from cbad.registry import FUSIONS
from ._checks import check_pair


@FUSIONS.register_module()
class ConcatFusion(nn.Module):
    """u_t = W [s_t; m_t] + b, the concatenation the paper compares against.

    Eq. 11's learned weighting replaces this; it is kept for ablations.

    Args:
        dim (int): Feature size D of s, m and u. Defaults to 256.

    Shape:
        - s, m: (N, T, D) (any leading dims).
        - output: same as s.
    """

    uses_motion = True

    def __init__(self, dim: int = 256) -> None:
        super().__init__()
        self.dim = dim
        self.proj = nn.Linear(2 * dim, dim)

    def forward(self, s: torch.Tensor,
                m: Optional[torch.Tensor]) -> torch.Tensor:
        check_pair(type(self).__name__, s, m, self.dim)
        return self.proj(torch.cat([s, m], dim=-1))  # ... x 2D -> ... x D
