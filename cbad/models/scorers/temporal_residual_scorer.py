"""Second-order temporal residual of window embeddings (Eq. 19)."""
from typing import Optional

import torch
from torch import nn

from cbad.registry import SCORERS


@SCORERS.register_module()
class TemporalResidualScorer(nn.Module):
    """``T_i = ||z_{i+1} - 2 z_i + z_{i-1}||_2`` along one video (Eq. 19).

    The input is the sequence of consecutive window embeddings of *one*
    video, in temporal order. The residual is zero for windows moving along
    a straight line at constant speed and large at sudden turns, stops and
    accelerations.

    Endpoints (the paper leaves them open): the one-sided rule. The first
    window takes the residual of the first interior triple
    (``||z_2 - 2 z_1 + z_0||``) and the last window that of the last
    interior triple, so no window is scored against a padded neighbour. A
    video with fewer than 3 windows has no triple and gets zeros.

    The scorer has no fitted state: :meth:`fit` is a no-op kept for the
    common scorer interface and :attr:`is_fitted` is always True.

    Shape:
        - z: (S, D), or (B, S, D) for B videos with S windows each.
        - output: (S,), or (B, S).
    """

    @property
    def is_fitted(self) -> bool:
        return True

    def fit(self,
            embeddings: Optional[torch.Tensor] = None
            ) -> 'TemporalResidualScorer':
        """No-op: the residual needs no fitting."""
        return self

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() < 2:
            raise ValueError('z must hold the window embeddings of a video, '
                             f'(S, D) or (B, S, D); found shape '
                             f'{tuple(z.shape)}.')
        num_windows = z.shape[-2]
        if num_windows < 3:
            return z.new_zeros(z.shape[:-1])
        second_diff = z[..., 2:, :] - 2 * z[..., 1:-1, :] + z[..., :-2, :]
        interior = second_diff.norm(dim=-1)  # ... x (W - 2)
        # one-sided rule at both ends: repeat the nearest interior residual
        return torch.cat([interior[..., :1], interior, interior[..., -1:]],
                         dim=-1)
