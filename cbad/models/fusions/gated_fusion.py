"""Learned gate between appearance and motion features (Eq. 11)."""
from typing import Optional

import torch
from torch import nn

from cbad.registry import FUSIONS
from ._checks import check_pair


@FUSIONS.register_module()
class GatedFusion(nn.Module):
    """u_t = g_t * s_t + (1 - g_t) * m_t, g_t = sigma(W_s s_t + W_m m_t + b).

    Eq. 11 writes u_t = sigma(W_s s_t + W_m m_t + b) and calls it a learned
    weighting of the two branches rather than a concatenation. Taken
    literally, u_t would be a vector in (0, 1)^D: every embedding in one
    orthant, which after L2 normalisation squeezes all segments into a narrow
    cone (PAPER.md, CPU calibration). cbad therefore reads the sigmoid as a
    per-dimension *gate* g_t and returns the gate-weighted combination of s_t
    and m_t, which keeps the branches' signed features.

    W_s and W_m are D x D (one gate per dimension); b is the bias of the W_m
    layer. With W_s = W_m = 0 and b = 0 the gate is 0.5 and u_t is the mean
    of s_t and m_t.

    Args:
        dim (int): Feature size D of s and m. Defaults to 256.

    Shape:
        - s, m: (N, T, D) (any leading dims, e.g. (N, T, gh, gw, D)).
        - output: same as s.
    """

    uses_motion = True

    def __init__(self, dim: int = 256) -> None:
        super().__init__()
        self.dim = dim
        self.W_s = nn.Linear(dim, dim, bias=False)
        self.W_m = nn.Linear(dim, dim, bias=True)  # its bias is b

    def gate(self, s: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        """g = sigma(W_s s + W_m m + b), same shape as s (for inspection)."""
        check_pair(type(self).__name__, s, m, self.dim)
        return torch.sigmoid(self.W_s(s) + self.W_m(m))

    def forward(self, s: torch.Tensor,
                m: Optional[torch.Tensor]) -> torch.Tensor:
        g = self.gate(s, m)
        return g * s + (1 - g) * m
