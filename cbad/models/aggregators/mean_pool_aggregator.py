"""Uniform temporal pooling, the ablation of Eq. 12."""
from typing import Tuple, Union

import torch
from torch import nn

from cbad.registry import AGGREGATORS
from ._checks import check_steps


@AGGREGATORS.register_module()
class MeanPoolAggregator(nn.Module):
    """z = (1/T) sum_t u_t: Eq. 12 with uniform weights alpha_t = 1/T.

    Shape:
        - u: (N, T, D) per-step features.
        - output: z (N, D); with ``return_weights=True`` also alpha (N, T).
    """

    def forward(
        self,
        u: torch.Tensor,
        return_weights: bool = False
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        """Average the steps of each segment.

        Args:
            u (torch.Tensor): (N, T, D).
            return_weights (bool): Also return the uniform alpha. Defaults to
                False.

        Returns:
            torch.Tensor | tuple: z (N, D), or ``(z, alpha)``.
        """
        check_steps(type(self).__name__, u, None)
        z = u.mean(dim=1)
        if not return_weights:
            return z
        alpha = u.new_full(u.shape[:2], 1.0 / u.shape[1])
        return z, alpha
