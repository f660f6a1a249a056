"""Temporal attention pooling of per-step features (Eq. 12)."""
from typing import Tuple, Union

import torch
from torch import nn

from cbad.registry import AGGREGATORS
from ._checks import check_steps


@AGGREGATORS.register_module()
class TemporalAttentionAggregator(nn.Module):
    """alpha_t = softmax_t(q^T u_t), z = sum_t alpha_t u_t (Eq. 12).

    q is one learned query vector shared by all segments. It is initialised
    from N(0, 1/D) so that q^T u_t has roughly unit scale for unit-variance
    features and the first weights are neither uniform nor one-hot.

    Args:
        dim (int): Feature size D. Defaults to 256.

    Shape:
        - u: (N, T, D) per-step features.
        - output: z (N, D); with ``return_weights=True`` also alpha (N, T),
          each row summing to 1.
    """

    def __init__(self, dim: int = 256) -> None:
        super().__init__()
        self.dim = dim
        self.q = nn.Parameter(torch.randn(dim) * dim**-0.5)

    def forward(
        self,
        u: torch.Tensor,
        return_weights: bool = False
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        """Pool the steps of each segment.

        Args:
            u (torch.Tensor): (N, T, D).
            return_weights (bool): Also return alpha for visualisation.
                Defaults to False.

        Returns:
            torch.Tensor | tuple: z (N, D), or ``(z, alpha)``.
        """
        check_steps(type(self).__name__, u, self.dim)
        alpha = torch.softmax(u @ self.q, dim=1)  # N x T
        z = (alpha.unsqueeze(-1) * u).sum(dim=1)  # N x D
        return (z, alpha) if return_weights else z
