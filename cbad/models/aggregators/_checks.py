"""Input checks shared by the aggregators (private)."""
from typing import Optional

import torch


def check_steps(name: str, u: torch.Tensor, dim: Optional[int]) -> None:
    """Raise ValueError unless u is (N, T, D) with T >= 1 (and D == dim)."""
    if u.dim() != 3 or u.shape[1] == 0:
        raise ValueError(
            f'{name} expects per-step features of shape (N, T, D) with '
            f'T >= 1, got {tuple(u.shape)}; reshape grids (N, T, gh, gw, D) '
            f'to (N * gh * gw, T, D) first.')
    if dim is not None and u.shape[2] != dim:
        raise ValueError(
            f'{name} was built with dim={dim} but got D={u.shape[2]} '
            f'(shape {tuple(u.shape)}); set dim to the encoder out_dim.')
