"""Input checks shared by the fusions (private)."""
from typing import Optional

import torch


def check_pair(name: str, s: torch.Tensor, m: Optional[torch.Tensor],
               dim: Optional[int]) -> None:
    """Raise ValueError unless s and m have the same shape (..., dim)."""
    if m is None:
        raise ValueError(
            f'{name} needs motion features m, got None; configure a temporal '
            f'branch or use SpatialOnlyFusion.')
    if s.shape != m.shape:
        raise ValueError(
            f'{name} expects s and m of the same shape (N, T, D), got '
            f's {tuple(s.shape)} and m {tuple(m.shape)}; the two branches '
            f'must share out_dim and pool.')
    if dim is not None and s.shape[-1] != dim:
        raise ValueError(
            f'{name} was built with dim={dim} but the features have D='
            f'{s.shape[-1]} (shape {tuple(s.shape)}); set dim to the '
            f"branches' out_dim.")
