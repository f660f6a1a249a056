"""Squared distance to the centre of the normal embeddings (Eq. 5)."""
from typing import Union

import numpy as np
import torch

from cbad.registry import SCORERS
from .base_fitted_scorer import BaseFittedScorer


@SCORERS.register_module()
class CentreDistanceScorer(BaseFittedScorer):
    """``s(z) = ||z - c||^2`` with ``c`` the mean normal embedding (Eq. 5).

    The simplest one-class score of the paper; Eq. 6 thresholds it. ``c`` is
    a buffer, saved in and restored from checkpoints.

    Shape:
        - fit input: (M, D).
        - z: (N, D) (any leading dims).
        - output: (N,).
    """
    _resizable_buffers = ('centre', )

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer('centre', torch.zeros(0))  # D

    @property
    def is_fitted(self) -> bool:
        return self.centre.numel() > 0

    @torch.no_grad()
    def fit(self, embeddings: Union[torch.Tensor,
                                    np.ndarray]) -> 'CentreDistanceScorer':
        """Set ``c`` to the mean of normal embeddings (M, D)."""
        z = self._as_embeddings(embeddings)
        self.centre = z.double().mean(dim=0).to(self.centre)
        return self

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self._check_fitted()
        self._check_dim(z, self.centre.shape[0])
        return (z - self.centre.to(z.dtype)).pow(2).sum(dim=-1)
