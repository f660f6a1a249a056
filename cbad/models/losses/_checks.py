"""Input checks shared by the contrastive losses (private)."""
from typing import Optional

import torch


def check_embeddings(name: str, z: torch.Tensor,
                     dim: Optional[int] = None) -> None:
    """Raise ValueError unless z is (N, D) with N >= 1 (and D == dim)."""
    if z.dim() != 2 or z.shape[0] == 0:
        raise ValueError(f'{name} expects embeddings of shape (N, D) with '
                         f'N >= 1, got {tuple(z.shape)}.')
    if dim is not None and z.shape[1] != dim:
        raise ValueError(f'{name} was built with dim={dim} but got D='
                         f'{z.shape[1]}; set dim to the projection out_dim.')


def check_per_sample(name: str, arg: str, value: Optional[torch.Tensor],
                     n: int) -> torch.Tensor:
    """Raise ValueError unless value is a (N,) integer tensor."""
    if value is None:
        raise ValueError(f'{name} needs {arg} (an (N,) integer tensor), got '
                         f'None.')
    value = torch.as_tensor(value)
    if value.shape != (n, ) or value.is_floating_point():
        raise ValueError(
            f'{name} expects {arg} as an ({n},) integer tensor (one per '
            f'embedding), got shape {tuple(value.shape)} {value.dtype}.')
    return value
